/**
 * What the in-process iptables writer reads, end to end through its own loop (applyIptablesOver)
 * over the in-memory nf_tables: a new pod's ADD reads none of the rules of the shared chains that
 * hold one jump per pod (POSTROUTING for bridge's masquerade jump, CNI-HOSTPORT-DNAT for portmap's
 * entry jumps), since nothing can jump to its chain before the chain exists; a re-ADD (its chain
 * present) reads them and adds no duplicate; a writer creating the chain between the read and
 * the batch moves the generation, so the batch is re-planned from a read that sees it.
 */
import { describe, expect, test } from "bun:test";
import { iptablesStateOf } from "../../../src/firewall/netlink-state.ts";
import { applyIptablesOver, type XtSession } from "../../../src/firewall/netlink.ts";
import { masqIptablesAdd, portmapIptablesAdd } from "../../../src/firewall/iptables-plans.ts";
import { masqChainName, portmapDnatChainName } from "../../../src/firewall/names.ts";
import type { IptablesPlan } from "../../../src/firewall/model.ts";
import type { Ruleset, TableRef } from "../../../src/netlink/nft/session.ts";
import { FakeXtKernel } from "../../fixtures/firewall/fake-xt-kernel.ts";

const cid = (i: number): string => `pod${i}`.padEnd(64, "0");
const ip = (i: number): string => `10.88.0.${i + 2}/16`;
const masq = (i: number): IptablesPlan[] => masqIptablesAdd({ network: "net", containerId: cid(i), ifname: "eth0", addresses: [ip(i)] });
const portmap = (i: number): IptablesPlan[] => [
  portmapIptablesAdd({ network: "net", containerId: cid(i), containerIp: ip(i), mappings: [{ hostPort: 30000 + i, containerPort: 80, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 }),
];

/** The kernel, recording the chains whose rules each read handed back. */
class Recorder implements XtSession {
  readonly reads: string[][] = [];
  constructor(readonly k: FakeXtKernel) {}
  readOnce(refs: readonly TableRef[]): Ruleset {
    const rs = this.k.readOnce(refs);
    this.reads.push([...new Set(rs.rules.map((r) => r.chain))]);
    return rs;
  }
  commit(...args: Parameters<XtSession["commit"]>): boolean {
    return this.k.commit(...args);
  }
}

function rulesIn(k: FakeXtKernel, chain: string): string[] {
  return (iptablesStateOf(4, k.read()).rules.get(chain) ?? []).map((r) => r.join(" "));
}

function podsOn(k: FakeXtKernel, n: number): void {
  for (let i = 0; i < n; i++) {
    expect(applyIptablesOver(k, masq(i))).toBe(true);
    expect(applyIptablesOver(k, portmap(i))).toBe(true);
  }
}

describe("the writer's reads of the shared per-pod chains", () => {
  test("a new pod's ADD reads no rule of POSTROUTING (bridge) nor of CNI-HOSTPORT-DNAT (portmap), and adds its jumps", () => {
    const k = new FakeXtKernel();
    podsOn(k, 5);
    expect(rulesIn(k, "POSTROUTING").length).toBeGreaterThanOrEqual(5);
    expect(rulesIn(k, "CNI-HOSTPORT-DNAT")).toHaveLength(5);
    const r = new Recorder(k);
    expect(applyIptablesOver(r, masq(5))).toBe(true);
    expect(r.reads).toHaveLength(1);
    expect(r.reads[0]).toEqual([]);
    const masqJumps = rulesIn(k, "POSTROUTING").filter((l) => l.endsWith(`-j ${masqChainName("net", cid(5))}`));
    expect(masqJumps).toHaveLength(1);

    const p = new Recorder(k);
    expect(applyIptablesOver(p, portmap(5))).toBe(true);
    expect(p.reads).toHaveLength(1);
    expect(p.reads[0]).not.toContain("CNI-HOSTPORT-DNAT");
    expect(rulesIn(k, "CNI-HOSTPORT-DNAT").filter((l) => l.endsWith(`-j ${portmapDnatChainName("net", cid(5))}`))).toHaveLength(1);
    expect(rulesIn(k, "CNI-HOSTPORT-DNAT")).toHaveLength(6);
  });

  test("a re-ADD of a pod whose chains exist reads the shared chains and adds nothing", () => {
    const k = new FakeXtKernel();
    podsOn(k, 4);
    const post = rulesIn(k, "POSTROUTING");
    const dnat = rulesIn(k, "CNI-HOSTPORT-DNAT");
    const batches = k.batches.length;
    const r = new Recorder(k);
    expect(applyIptablesOver(r, masq(2))).toBe(true);
    expect(applyIptablesOver(r, portmap(2))).toBe(true);
    expect(r.reads[0]).toContain("POSTROUTING");
    expect(r.reads[1]).toContain("CNI-HOSTPORT-DNAT");
    expect(k.batches).toHaveLength(batches);
    expect(rulesIn(k, "POSTROUTING")).toEqual(post);
    expect(rulesIn(k, "CNI-HOSTPORT-DNAT")).toEqual(dnat);
  });

  test("another writer adding the same pod between the read and the batch: re-planned from a read of the shared chain, one jump", () => {
    const k = new FakeXtKernel();
    podsOn(k, 2);
    const r = new Recorder(k);
    k.meanwhile = () => {
      expect(applyIptablesOver(k, masq(7))).toBe(true);
      expect(applyIptablesOver(k, portmap(7))).toBe(true);
    };
    expect(applyIptablesOver(r, masq(7))).toBe(true);
    expect(r.reads).toHaveLength(2);
    expect(r.reads[0]).toEqual([]);
    expect(r.reads[1]).toContain("POSTROUTING");
    expect(rulesIn(k, "POSTROUTING").filter((l) => l.endsWith(`-j ${masqChainName("net", cid(7))}`))).toHaveLength(1);

    const batches = k.batches.length;
    const p = new Recorder(k);
    expect(applyIptablesOver(p, portmap(7))).toBe(true);
    expect(k.batches).toHaveLength(batches);
    expect(rulesIn(k, "CNI-HOSTPORT-DNAT").filter((l) => l.endsWith(`-j ${portmapDnatChainName("net", cid(7))}`))).toHaveLength(1);
  });
});
