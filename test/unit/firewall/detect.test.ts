import { describe, expect, test } from "bun:test";
import { conditionsDialect } from "../../../src/firewall/backend.ts";
import { allBackends } from "../../../src/firewall/backends.ts";
import { masqBackend, type Probe, portmapBackend } from "../../../src/firewall/detect.ts";

/** A probe answering per backend name, recording what it was asked. */
function probes(iptables: boolean, nftables: boolean): Probe & { calls: string[] } {
  const calls: string[] = [];
  const answers: Record<string, boolean> = { iptables, nftables };
  return Object.assign(async (b: { name: string }) => (calls.push(b.name), answers[b.name] ?? false), { calls });
}

const name = async (b: Promise<{ name: string }>): Promise<string> => (await b).name;

describe("backend selection", () => {
  // portmapBackend skips loading the backends to ask them when a config holds none of these three
  // keys (or empty condition lists); this fails if a backend starts claiming anything else.
  test("no backend claims an option from a config without externalSetMarkChain and conditions", async () => {
    const conf = {
      backend: "nftables",
      snat: true,
      markMasqBit: 13,
      masqAll: true,
      conditionsV4: [],
      conditionsV6: [""],
      runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80, protocol: "tcp" }] },
    };
    for (const b of await allBackends()) expect({ [b.name]: b.portmapOptions(conf) }).toEqual({ [b.name]: [] });
    const iptablesOnly = probes(true, true);
    expect(await name(portmapBackend({}, iptablesOnly))).toBe("iptables");
    expect(iptablesOnly.calls).toEqual(["iptables"]);
    const nftOnly = probes(false, true);
    expect(await name(portmapBackend({}, nftOnly))).toBe("nftables");
    expect(nftOnly.calls).toEqual(["iptables", "nftables"]);
  });

  test("conditions dialect by first token; each backend claims its own", async () => {
    expect(conditionsDialect(undefined)).toBeUndefined();
    expect(conditionsDialect([])).toBeUndefined();
    expect(conditionsDialect([""])).toBeUndefined();
    expect(conditionsDialect(["-m", "x"])).toBe("flags");
    expect(conditionsDialect(["!", "-s", "x"])).toBe("flags");
    expect(conditionsDialect(["ip", "saddr", "1.2.3.4"])).toBe("statements");
    const all = await allBackends();
    const claims = (conf: object) => Object.fromEntries(all.map((b) => [b.name, b.portmapOptions(conf)]));
    expect(claims({ externalSetMarkChain: "X", conditionsV4: ["-s", "x"], conditionsV6: ["ip6", "saddr", "::1"] })).toEqual({
      iptables: ["externalSetMarkChain", "conditionsV4"],
      nftables: ["conditionsV6"],
    });
  });

  test("default: iptables unless only nftables works; nftables not probed when iptables works", async () => {
    const p = probes(true, true);
    expect(await name(portmapBackend({}, p))).toBe("iptables");
    expect(p.calls).toEqual(["iptables"]);
    expect(await name(portmapBackend({}, probes(false, true)))).toBe("nftables");
    expect(await name(portmapBackend({}, probes(false, false)))).toBe("iptables");
    expect(await name(masqBackend(undefined, probes(false, true)))).toBe("nftables");
  });

  test("tscni deviation: nft-style conditions select nftables when no backend is set", async () => {
    const p = probes(true, true);
    expect(await name(portmapBackend({ conditionsV4: ["ip", "saddr", "1.2.3.4"] }, p))).toBe("nftables");
    expect(p.calls).toEqual([]);
  });

  test("conflicts, with the reference's messages and key order", async () => {
    await expect(portmapBackend({ backend: "iptables", conditionsV4: ["a"], conditionsV6: ["b"] }, probes(true, true))).rejects.toThrow(
      "iptables backend was requested but configuration contains nftables-specific options [conditionsV4 conditionsV6]",
    );
    await expect(
      portmapBackend({ backend: "nftables", externalSetMarkChain: "X", conditionsV4: ["-a"], conditionsV6: ["-b"] }, probes(true, true)),
    ).rejects.toThrow("nftables backend was requested but configuration contains iptables-specific options [externalSetMarkChain conditionsV4 conditionsV6]");
    await expect(portmapBackend({ conditionsV4: ["ip"], conditionsV6: ["-s"] }, probes(true, true))).rejects.toThrow(
      "iptables backend was requested but configuration contains nftables-specific options [conditionsV4]",
    );
    await expect(portmapBackend({ backend: "ebpf" }, probes(true, true))).rejects.toThrow('unrecognized backend "ebpf"');
    await expect(portmapBackend({ backend: "ebpf", externalSetMarkChain: "X" }, probes(true, true))).rejects.toThrow(
      "ebpf backend was requested but configuration contains iptables-specific options [externalSetMarkChain]",
    );
    await expect(masqBackend("foo", probes(true, true))).rejects.toThrow('unknown ipmasq backend "foo"');
  });

  test("the accepted names are the registry's; inherited object keys are not names", async () => {
    for (const b of await allBackends()) {
      expect(await masqBackend(b.name, probes(false, false))).toBe(b);
      expect(await portmapBackend({ backend: b.name }, probes(false, false))).toBe(b);
    }
    for (const n of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      await expect(masqBackend(n, probes(true, true))).rejects.toThrow(`unknown ipmasq backend "${n}"`);
      await expect(portmapBackend({ backend: n }, probes(true, true))).rejects.toThrow(`unrecognized backend "${n}"`);
    }
    // An unknown name conflicts only with iptables options: nft conditions leave it unrecognized (v1.9.1 answers the same).
    await expect(portmapBackend({ backend: "ebpf", conditionsV4: ["ip", "saddr", "1.2.3.4"] }, probes(true, true))).rejects.toThrow(
      'unrecognized backend "ebpf"',
    );
  });
});
