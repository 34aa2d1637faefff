/** bridge config parsing: every key, defaults, exact messages. */
import { describe, expect, test } from "bun:test";
import { CniError, type Result } from "../../../src/cni/index.ts";
import { bridgeProblems, checkAddRules, collectVlanTrunk, dnsConfigured, loadBridgeConf } from "../../../plugins/bridge/config.ts";
import { parseGoMac } from "../../../src/container/index.ts";
import { calcGateways } from "../../../plugins/bridge/gateway.ts";
import { goRoute } from "../../../src/gofmt/index.ts";
import { bridgeLockPath } from "../../../plugins/bridge/bridge.ts";

const base = { cniVersion: "1.1.0", name: "n", type: "bridge" };

function msg(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(999);
    return (err as CniError).message;
  }
  throw new Error("no error");
}

describe("keys and defaults", () => {
  test("defaults", () => {
    const c = loadBridgeConf(base, "");
    expect(c.bridge).toBe("cni0");
    expect(c.isLayer3).toBe(false);
    expect(c.isGateway).toBe(false);
    expect(c.vlanFiltering).toBe(false);
    expect(c.mac).toBe("");
    expect(c.raw).toMatchObject({
      isDefaultGateway: false,
      forceAddress: false,
      ipMasq: false,
      mtu: 0,
      hairpinMode: false,
      promiscMode: false,
      vlan: 0,
      preserveDefaultVlan: false,
      macspoofchk: false,
      enabledad: false,
      disableContainerInterface: false,
      portIsolation: false,
    });
    expect(c.raw.ipMasqBackend).toBeUndefined();
  });

  test("every key is read, case-insensitively; unknown keys are ignored", () => {
    const c = loadBridgeConf(
      {
        ...base,
        Bridge: "br0",
        ISGATEWAY: false,
        isDefaultGateway: true,
        forceAddress: true,
        ipMasq: true,
        ipMasqBackend: "nftables",
        mtu: 1400,
        hairpinMode: true,
        promiscMode: false,
        vlan: 5,
        vlanTrunk: [{ id: 7 }],
        preserveDefaultVlan: true,
        macspoofchk: true,
        enabledad: true,
        disableContainerInterface: false,
        portIsolation: true,
        IPAM: { type: "host-local" },
        addIf: "eth0",
      },
      "",
    );
    expect(c.bridge).toBe("br0");
    expect(c.isGateway).toBe(true); // promoted by isDefaultGateway
    expect(c.isLayer3).toBe(true);
    expect(c.vlans).toEqual([7]);
    expect(c.vlanFiltering).toBe(true);
    expect(c.raw).toMatchObject({ forceAddress: true, ipMasq: true, ipMasqBackend: "nftables", mtu: 1400, hairpinMode: true, vlan: 5 });
    expect(c.raw).toMatchObject({ preserveDefaultVlan: true, macspoofchk: true, enabledad: true, portIsolation: true });
  });

  test("an empty vlanTrunk still asks for VLAN filtering", () => {
    expect(loadBridgeConf({ ...base, vlanTrunk: [] }, "").vlanFiltering).toBe(true);
  });

  test("Go type errors", () => {
    expect(msg(() => loadBridgeConf({ ...base, mtu: "1500" }, ""))).toBe(
      "failed to load netconf: json: cannot unmarshal string into Go struct field NetConf.mtu of type int",
    );
    expect(msg(() => loadBridgeConf({ ...base, mtu: 1500.5 }, ""))).toBe(
      "failed to load netconf: json: cannot unmarshal number 1500.5 into Go struct field NetConf.mtu of type int",
    );
    expect(msg(() => loadBridgeConf({ ...base, portIsolation: "true" }, ""))).toBe(
      "failed to load netconf: json: cannot unmarshal string into Go struct field NetConf.portIsolation of type bool",
    );
  });
});

describe("MAC", () => {
  test("runtimeConfig > args.cni > CNI_ARGS", () => {
    const args = "IgnoreUnknown=1;MAC=02:00:00:00:00:01";
    expect(loadBridgeConf(base, args).mac).toBe("02:00:00:00:00:01");
    const withArgs = { ...base, args: { cni: { mac: "02:00:00:00:00:02" } } };
    expect(loadBridgeConf(withArgs, args).mac).toBe("02:00:00:00:00:02");
    expect(loadBridgeConf({ ...withArgs, runtimeConfig: { mac: "02:00:00:00:00:03" } }, args).mac).toBe("02:00:00:00:00:03");
  });

  test("CNI_ARGS rules", () => {
    expect(msg(() => loadBridgeConf(base, "FOO=bar"))).toBe('ARGS: unknown args ["FOO=bar"]');
    expect(msg(() => loadBridgeConf(base, "IP=10.0.0.1"))).toBe('ARGS: unknown args ["IP=10.0.0.1"]');
    expect(loadBridgeConf(base, "IgnoreUnknown=1;FOO=bar").mac).toBe("");
  });

  test("Go's ParseMAC forms", () => {
    expect(parseGoMac("02:AA:00:00:00:01")).toBe("02:aa:00:00:00:01");
    expect(parseGoMac("02-aa-00-00-00-01")).toBe("02:aa:00:00:00:01");
    expect(parseGoMac("02aa.0000.0001")).toBe("02:aa:00:00:00:01");
    expect(parseGoMac("zz")).toBeUndefined();
    expect(parseGoMac("02:aa:00:00:00")).toBeUndefined();
  });
});

describe("VLAN", () => {
  test("vlan range", () => {
    expect(msg(() => loadBridgeConf({ ...base, vlan: -100 }, ""))).toBe("invalid VLAN ID -100 (must be between 0 and 4094)");
    expect(msg(() => loadBridgeConf({ ...base, vlan: 5000 }, ""))).toBe("invalid VLAN ID 5000 (must be between 0 and 4094)");
    expect(loadBridgeConf({ ...base, vlan: 4094 }, "").raw.vlan).toBe(4094);
  });

  test("trunk rules and messages", () => {
    const t = (trunk: Record<string, number>[]) => () => collectVlanTrunk(trunk);
    expect(msg(t([{ minID: 1 }]))).toBe("minID and maxID should be configured simultaneously, maxID is missing");
    expect(msg(t([{ maxID: 1 }]))).toBe("minID and maxID should be configured simultaneously, minID is missing");
    expect(msg(t([{ minID: -1, maxID: 5 }]))).toBe("incorrect trunk minID parameter");
    expect(msg(t([{ minID: 5000, maxID: 5 }]))).toBe("incorrect trunk minID parameter");
    expect(msg(t([{ minID: 1, maxID: 5000 }]))).toBe("incorrect trunk maxID parameter");
    expect(msg(t([{ minID: 6, maxID: 5 }]))).toBe("minID is greater than maxID in trunk parameter");
    expect(msg(t([{ id: -1 }]))).toBe("incorrect trunk id parameter");
    expect(msg(t([{ id: 5000 }]))).toBe("incorrect trunk id parameter");
    expect(collectVlanTrunk([{ minID: 100, maxID: 105 }])).toEqual([100, 101, 102, 103, 104, 105]);
    expect(collectVlanTrunk([{ minID: 100, maxID: 102, id: 10 }, {}, { id: 101 }])).toEqual([10, 100, 101, 102]);
  });
});

describe("ADD rules", () => {
  test("hairpin and promisc conflict", () => {
    const c = loadBridgeConf({ ...base, hairpinMode: true, promiscMode: true }, "");
    expect(msg(() => checkAddRules(c))).toBe("cannot set hairpin mode and promiscuous mode at the same time");
  });

  test("disableContainerInterface with IPAM", () => {
    const c = loadBridgeConf({ ...base, disableContainerInterface: true, ipam: { type: "host-local" } }, "");
    expect(msg(() => checkAddRules(c))).toBe("cannot use IPAM when DisableContainerInterface flag is set");
    expect(() => checkAddRules(loadBridgeConf({ ...base, disableContainerInterface: true, ipam: {} }, ""))).not.toThrow();
  });

  test('"bridge": "" fails ADD with the reference\'s error, after its key checks and before host-local\'s; DEL and CHECK keep cni0', () => {
    const c = loadBridgeConf({ ...base, bridge: "", ipam: { type: "host-local" } }, "");
    expect(c.bridge).toBe("cni0");
    expect(msg(() => checkAddRules(c))).toBe('failed to create bridge "": could not add "": LinkAttrs.Name cannot be empty');
    expect(msg(() => checkAddRules(loadBridgeConf({ ...base, bridge: "", hairpinMode: true, promiscMode: true }, "")))).toBe(
      "cannot set hairpin mode and promiscuous mode at the same time",
    );
    expect(() => checkAddRules(loadBridgeConf({ ...base, bridge: "br0" }, ""))).not.toThrow();
    expect(bridgeProblems({ ...base, bridge: "" })).toEqual([{ path: "bridge", message: 'failed to create bridge "": could not add "": LinkAttrs.Name cannot be empty' }]);
  });

  test("dns counts as set when any list is present, even empty", () => {
    expect(dnsConfigured(loadBridgeConf(base, ""))).toBe(false);
    expect(dnsConfigured(loadBridgeConf({ ...base, dns: { nameservers: [] } }, ""))).toBe(true);
    expect(dnsConfigured(loadBridgeConf({ ...base, dns: { domain: "x" } }, ""))).toBe(true);
  });
});

describe("gateways (calcGateways)", () => {
  test("derived gateways, interface index, one default route per family", () => {
    const result: Result = {
      cniVersion: "1.1.0",
      ips: [{ address: "10.22.0.5/16" }, { address: "fd00::5/64" }],
      routes: [{ dst: "::/0", gw: "fd00::9" }],
    };
    const plan = calcGateways(result, { isGateway: true, isDefaultGateway: true });
    expect(result.ips).toEqual([
      { address: "10.22.0.5/16", gateway: "10.22.0.1", interface: 2 },
      { address: "fd00::5/64", gateway: "fd00::1", interface: 2 },
    ]);
    expect(result.routes).toEqual([
      { dst: "::/0", gw: "fd00::9" },
      { dst: "0.0.0.0/0", gw: "10.22.0.1" },
    ]);
    expect(plan.gateways).toEqual({ 4: ["10.22.0.1/16"], 6: ["fd00::1/64"] });
  });

  test("a gw-less IPAM default route counts (the reference appends a duplicate and fails, Appendix B 12)", () => {
    const result: Result = { cniVersion: "1.1.0", ips: [{ address: "10.80.0.2/24" }], routes: [{ dst: "0.0.0.0/0" }] };
    calcGateways(result, { isGateway: true, isDefaultGateway: true });
    expect(result.routes).toEqual([{ dst: "0.0.0.0/0" }]);
  });

  test("route formatting for messages", () => {
    expect(goRoute({ dst: "10.99.0.0/16" })).toBe(
      "{Dst:{IP:10.99.0.0 Mask:ffff0000} GW:<nil> MTU:0 AdvMSS:0 Priority:0 Table:<nil> Scope:<nil>}",
    );
  });
});

test("lock path: per bridge, under TSCNI_LOCK_DIR, odd names hashed", () => {
  expect(bridgeLockPath("cni0", {})).toBe("/run/tscni/bridge-cni0.lock");
  expect(bridgeLockPath("cni0", { TSCNI_LOCK_DIR: "/tmp/x" })).toBe("/tmp/x/bridge-cni0.lock");
  expect(bridgeLockPath("../etc", {})).toMatch(/^\/run\/tscni\/bridge-[0-9a-f]{16}\.lock$/);
});
