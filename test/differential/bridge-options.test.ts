/**
 * bridge vs the v1.9.1 oracle, option by option (scenarios played by bridge-scenario.ts): the
 * gateway, address, MTU, promisc, hairpin, MAC, L2, ipMasq, macspoofchk, enabledad, dns, DEL and
 * CHECK keys, the spec 1.1.0 verbs and the v1.9 keys (disableContainerInterface, vlanTrunk,
 * portIsolation, ipMasqBackend nftables), and config errors (same code and message, no change).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { bridgeCall, privateVarLib, REF, resetDataDir, world, worldState } from "../fixtures/bridge/support.ts";
import type { Conf } from "../fixtures/bridge/runtime-configs.ts";
import { add, check, compare, del, OURS, type Scenario } from "./bridge-scenario.ts";
import { BridgeNames } from "./scenario-names.ts";

requireIsolatedHost();

const TIMEOUT = 120_000;

beforeAll(() => privateVarLib());

const V4 = { type: "host-local", ranges: [[{ subnet: "10.30.0.0/24" }]] };
const DUAL = { type: "host-local", ranges: [[{ subnet: "10.30.0.0/24" }], [{ subnet: "fd30::/64" }]] };
const base = (extra: Conf, version = "1.0.0"): Conf => ({ cniVersion: version, name: "optnet", type: "bridge", bridge: "br0", ...extra });

const OPTION_SCENARIOS: Scenario[] = [
  { name: "D.38 dual-stack isDefaultGateway", conf: base({ isDefaultGateway: true, ipam: DUAL }), steps: [add(), check({ noState: true }), del()] },
  { name: "D.39 isGateway, IPAM route without gw", conf: base({ isGateway: true, ipam: { ...V4, routes: [{ dst: "192.168.0.0/16" }, { dst: "172.16.0.0/12", gw: "10.30.0.254" }] } }), steps: [add(), del()] },
  { name: "D.40 isDefaultGateway, IPAM default with gw", conf: base({ isDefaultGateway: true, ipam: { ...V4, routes: [{ dst: "0.0.0.0/0", gw: "10.30.0.254" }] } }), steps: [add(), del()] },
  {
    name: "D.41 second network, other IPv4 subnet on the same bridge: conflict, then forceAddress",
    conf: base({ isGateway: true, ipam: V4 }),
    containers: 3,
    steps: [
      add(),
      add({ ctr: 1, conf: base({ name: "othernet", isGateway: true, ipam: { type: "host-local", ranges: [[{ subnet: "10.31.0.0/24" }]] } }) }),
      add({ ctr: 2, conf: base({ name: "othernet", isGateway: true, forceAddress: true, ipam: { type: "host-local", ranges: [[{ subnet: "10.31.0.0/24" }]] } }) }),
    ],
  },
  {
    name: "D.41 IPv6 non-overlapping subnets coexist, overlapping conflict",
    conf: base({ isGateway: true, ipam: { type: "host-local", ranges: [[{ subnet: "2001:db8:1:2::/64" }]] } }),
    containers: 3,
    steps: [
      add(),
      add({ ctr: 1, conf: base({ name: "n6b", isGateway: true, ipam: { type: "host-local", ranges: [[{ subnet: "fd00:1234::/64" }]] } }) }),
      add({ ctr: 2, conf: base({ name: "n6c", isGateway: true, ipam: { type: "host-local", ranges: [[{ subnet: "2001:db8:1::/48" }]] } }) }),
    ],
  },
  {
    name: "D.42 existing bridge: MTU kept, promisc turned on",
    conf: base({ promiscMode: true, mtu: 1400, ipam: V4 }),
    setup: async (w) => {
      await w.host.run(["ip", "link", "add", "br0", "mtu", "1300", "type", "bridge"]);
    },
    steps: [add(), del()],
  },
  // The kernel refuses a name over IFNAMSIZ-1 bytes (ERANGE): the reference meets that at its
  // first request, the add, and words the error after it; a lookup made first must not change it.
  { name: "bridge name too long for the kernel: refused at the add", conf: base({ bridge: "br0123456789abcdef", ipam: V4 }), steps: [add()] },
  { name: "bridge name too long, promiscMode", conf: base({ bridge: "br0123456789abcdef", promiscMode: true, ipam: V4 }), steps: [add()] },
  { name: "D.43 mtu on a new bridge and both veth ends", conf: base({ mtu: 1280, ipam: V4 }), steps: [add()] },
  { name: "D.43 hairpinMode", conf: base({ hairpinMode: true, ipam: V4 }), steps: [add()] },
  {
    name: "D.44 MAC: runtimeConfig > args.cni > CNI_ARGS",
    // isGateway pins the bridge MAC to its first port's; without it the bridge MAC follows the
    // lowest (random) port MAC and differs run to run.
    conf: base({ isGateway: true, ipam: V4, args: { cni: { mac: "02:00:00:00:00:0a" } }, runtimeConfig: { mac: "02:00:00:00:00:0b" } }),
    macs: ["02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"],
    containers: 3,
    steps: [
      add({ args: "IgnoreUnknown=1;MAC=02:00:00:00:00:0c" }),
      add({ ctr: 1, args: "IgnoreUnknown=1;MAC=02:00:00:00:00:0c", conf: base({ isGateway: true, ipam: V4, args: { cni: { mac: "02:00:00:00:00:0a" } } }) }),
      add({ ctr: 2, args: "IgnoreUnknown=1;MAC=02:00:00:00:00:0c", conf: base({ isGateway: true, ipam: V4 }) }),
      add({ ctr: 2, ifname: "net1", conf: base({ isGateway: true, ipam: V4, runtimeConfig: { mac: "zz" } }) }),
    ],
  },
  {
    name: "D.45 same CNI_IFNAME twice in one netns: error, no allocation",
    conf: base({ ipam: V4 }),
    steps: [add(), add({ id: "other" })],
  },
  { name: "D.46 L2 (no ipam) at 1.0.0", conf: base({}), steps: [add(), del()] },
  { name: "D.46 L2 (ipam {}) at 0.3.1", conf: base({ ipam: {} }, "0.3.1"), steps: [add(), del()] },
  { name: "D.48 hairpin + promisc refused before any change", conf: base({ hairpinMode: true, promiscMode: true, ipam: V4 }), steps: [add(), del()] },
  { name: "D.49 ipMasq (iptables), two containers, DEL one", conf: base({ isGateway: true, ipMasq: true, ipam: DUAL }), containers: 2, steps: [add(), add({ ctr: 1 }), del(), del({ ctr: 1 })] },
  { name: "D.52 macspoofchk", conf: base({ macspoofchk: true, ipam: V4 }), steps: [add(), del()] },
  { name: "D.53 enabledad", conf: base({ enabledad: true, isGateway: true, ipam: { type: "host-local", ranges: [[{ subnet: "fd53::/64" }]] } }), steps: [add(), del()] },
  { name: "D.54 dns in the config overrides, empty nameservers too", conf: base({ ipam: V4, dns: { nameservers: [], search: ["x.example"] } }), steps: [add()] },
  {
    name: "D.55 DEL variants: empty CNI_NETNS, then again with the netns",
    conf: base({ isGateway: true, ipam: V4 }),
    steps: [add(), del({ netns: "empty" }), del(), del()],
  },
  { name: "D.55 DEL with an invalid config", conf: base({ vlan: 9999, ipam: V4 }), steps: [del()] },
  { name: "D.55 DEL with a missing IPAM binary", conf: base({ ipam: { type: "nope" } }), steps: [del()] },
  {
    name: "D.57 CHECK failures: missing prevResult, wrong sandbox",
    conf: base({ isGateway: true, ipam: V4 }),
    containers: 2,
    steps: [add(), { command: "CHECK", noState: true }, check({ ctr: 1, id: "ctr0", noState: true })],
  },
  { name: "kubelet-style CNI_ARGS (IgnoreUnknown + K8S_POD_*)", conf: base({ ipam: V4 }), steps: [add({ args: "IgnoreUnknown=1;K8S_POD_NAME=p;K8S_POD_NAMESPACE=ns" }), del({ args: "IgnoreUnknown=1" })] },
];

const V19_KEY_ERRORS: [string, Conf][] = [
  ["disableContainerInterface with IPAM", { disableContainerInterface: true, ipam: V4 }],
  ["trunk minID without maxID", { vlanTrunk: [{ minID: 10 }] }],
  ["trunk maxID without minID", { vlanTrunk: [{ maxID: 10 }] }],
  ["trunk minID 0", { vlanTrunk: [{ minID: 0, maxID: 10 }] }],
  ["trunk maxID 5000", { vlanTrunk: [{ minID: 10, maxID: 5000 }] }],
  ["trunk minID > maxID", { vlanTrunk: [{ minID: 20, maxID: 10 }] }],
  ["trunk id 5000", { vlanTrunk: [{ id: 5000 }] }],
  ["vlan 5000", { vlan: 5000 }],
];

const V19_SCENARIOS: Scenario[] = [
  ...V19_KEY_ERRORS.map(([name, extra]): Scenario => ({ name: `1.1.0 error before any change: ${name}`, conf: base(extra, "1.1.0"), steps: [add(), del()] })),
  { name: "1.1.0 disableContainerInterface (L2): container end stays down", conf: base({ disableContainerInterface: true }, "1.1.0"), steps: [add(), del()] },
  { name: "1.1.0 portIsolation on", conf: base({ portIsolation: true, ipam: V4 }, "1.1.0"), steps: [add(), del()] },
  { name: "1.1.0 portIsolation off", conf: base({ portIsolation: false, ipam: V4 }, "1.1.0"), steps: [add()] },
  {
    name: "1.1.0 ipMasq nftables backend, two containers, STATUS, DEL one",
    conf: base({ isGateway: true, ipMasq: true, ipMasqBackend: "nftables", ipam: DUAL }, "1.1.0"),
    containers: 2,
    steps: [add(), add({ ctr: 1 }), check({ noState: true }), { command: "STATUS", noState: true }, del(), del({ ctr: 1 })],
  },
  { name: "1.1.0 ipMasq iptables backend given explicitly", conf: base({ isGateway: true, ipMasq: true, ipMasqBackend: "iptables", ipam: DUAL }, "1.1.0"), steps: [add(), del()] },
  { name: "1.1.0 STATUS with host-local IPAM", conf: base({ ipam: V4 }, "1.1.0"), steps: [{ command: "STATUS" }] },
  { name: "1.1.0 STATUS and GC of an L2 network", conf: base({}, "1.1.0"), steps: [{ command: "STATUS" }, { command: "GC", valid: [] }] },
  { name: "1.1.0 STATUS with a missing IPAM binary", conf: base({ ipam: { type: "nope" } }, "1.1.0"), steps: [{ command: "STATUS" }] },
  { name: "1.1.0 STATUS with an invalid vlan", conf: base({ vlan: 9999, ipam: V4 }, "1.1.0"), steps: [{ command: "STATUS" }] },
  { name: "1.0.0 GC and STATUS are refused", conf: base({ ipam: V4 }), steps: [{ command: "GC", valid: [] }, { command: "STATUS" }] },
];

describe("spec 1.1.0 and the v1.9 keys", () => {
  for (const s of V19_SCENARIOS) test(s.name, () => compare(s), TIMEOUT);
});

describe("options", () => {
  for (const s of OPTION_SCENARIOS) test(s.name, () => compare(s), TIMEOUT);
});

describe("errors: same code, message, and no state change", () => {
  test.each([
    ["bad JSON", "{"],
    ["vlan out of range", JSON.stringify(base({ vlan: -100, ipam: V4 }))],
    ["unknown CNI_ARGS without IgnoreUnknown", JSON.stringify(base({ ipam: V4 }))],
  ])("%s", async (name, stdin) => {
    const args = name.startsWith("unknown") ? "FOO=bar" : undefined;
    await compare({ name, conf: {}, steps: [{ command: "ADD", conf: stdin, args }] });
  });

  // Go's "json: cannot unmarshal …" wording is not copied (docs/compatibility.md): code and the
  // field name are compared, and the state must not change.
  test("mtu given as a string", async () => {
    const conf = base({ mtu: "1500", ipam: V4 });
    for (const impl of [REF, OURS]) {
      resetDataDir();
      await using w = await world(1);
      const before = await worldState(w, new BridgeNames());
      const r = await bridgeCall(conf, { impl, host: w.host, command: "ADD", netns: w.containers[0]?.path ?? "" });
      const err = r.json as { code: number; msg: string };
      expect({ impl: impl.name, code: r.code, errCode: err.code, mtu: /mtu/i.test(err.msg) }).toEqual({ impl: impl.name, code: 1, errCode: 999, mtu: true });
      expect(await worldState(w, new BridgeNames())).toEqual(before);
    }
  }, TIMEOUT);
});
