import { describe, expect, test } from "bun:test";
import { type Backend, BACKENDS, conditionsBackend, masqBackend, type Probes, portmapBackend } from "../../../src/firewall/index.ts";

function probes(iptables: boolean, nftables: boolean): Probes & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    iptables: async () => (calls.push("iptables"), iptables),
    nftables: async () => (calls.push("nftables"), nftables),
  };
}

describe("backend selection", () => {
  test("conditions backend by first token", () => {
    expect(conditionsBackend(undefined)).toBeUndefined();
    expect(conditionsBackend([])).toBeUndefined();
    expect(conditionsBackend([""])).toBeUndefined();
    expect(conditionsBackend(["-m", "x"])).toBe("iptables");
    expect(conditionsBackend(["!", "-s", "x"])).toBe("iptables");
    expect(conditionsBackend(["ip", "saddr", "1.2.3.4"])).toBe("nftables");
  });

  test("default: iptables unless only nftables works; nftables not probed when iptables works", async () => {
    const p = probes(true, true);
    expect(await portmapBackend({}, p)).toBe("iptables");
    expect(p.calls).toEqual(["iptables"]);
    expect(await portmapBackend({}, probes(false, true))).toBe("nftables");
    expect(await portmapBackend({}, probes(false, false))).toBe("iptables");
    expect(await masqBackend(undefined, probes(false, true))).toBe("nftables");
  });

  test("tscni deviation: nft-style conditions select nftables when no backend is set", async () => {
    const p = probes(true, true);
    expect(await portmapBackend({ conditionsV4: ["ip", "saddr", "1.2.3.4"] }, p)).toBe("nftables");
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
    for (const name of Object.keys(BACKENDS) as Backend[]) {
      expect(await masqBackend(name, probes(false, false))).toBe(name);
      expect(await portmapBackend({ backend: name }, probes(false, false))).toBe(name);
    }
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      await expect(masqBackend(name, probes(true, true))).rejects.toThrow(`unknown ipmasq backend "${name}"`);
      await expect(portmapBackend({ backend: name }, probes(true, true))).rejects.toThrow(`unrecognized backend "${name}"`);
    }
    // An unknown name conflicts only with iptables options: nft conditions leave it unrecognized (v1.9.1 answers the same).
    await expect(portmapBackend({ backend: "ebpf", conditionsV4: ["ip", "saddr", "1.2.3.4"] }, probes(true, true))).rejects.toThrow(
      'unrecognized backend "ebpf"',
    );
  });
});
