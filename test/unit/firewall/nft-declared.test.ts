/**
 * ADD batches that declare only what is missing: over the fake kernel (which reports tables and
 * chains as a netlink read does), a second attachment's ADD adds its own rules and nothing else;
 * a table or chain held differently from what the plan declares (another hook, priority, type,
 * policy, table flags) is still declared, so the kernel answers as before; a text listing (no
 * `declared`) keeps every declaration; a writer racing the call makes it re-plan from scratch.
 */
import { describe, expect, test } from "bun:test";
import type { NftPlan, NftState, NftStep, NftTableRef } from "../../../src/firewall/model.ts";
import { nftTableKey } from "../../../src/firewall/model.ts";
import { MASQ_NFT_TABLE, portmapNftTable, SHARED } from "../../../src/firewall/names.ts";
import { alreadyDeclared } from "../../../src/firewall/nft-declared.ts";
import { planNftSteps } from "../../../src/firewall/nftables.ts";
import { masqNftAdd, portmapNftAdd, spoofCheckAdd } from "../../../src/firewall/nftables-plans.ts";
import { FakeNfKernel, KernelError } from "../../fixtures/firewall/fake-nf-kernel.ts";
import { tablesOf } from "./nft-planned.ts";

function apply(k: FakeNfKernel, plan: NftPlan): void {
  k.transact(tablesOf(plan), (state) => planNftSteps(plan, state));
}

const ops = (steps: readonly NftStep[] | undefined): string[] => (steps ?? []).map((s) => s.op);
const masq = (id: string, ip: string) => masqNftAdd({ network: "n", containerId: id, ifname: "eth0", addresses: [`${ip}/24`] });
const portmap = (id: string, ip: string) =>
  portmapNftAdd({ network: "n", containerId: id, containerIp: `${ip}/24`, mappings: [{ hostPort: 80, containerPort: 8080, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 });
const spoof = (id: string, mac: string) => spoofCheckAdd({ containerId: id, ifname: "eth0", hostIfname: `veth${id}`, containerMac: mac });

/** The state as read, with one chain of one table held differently (a later plan then sees it). */
function withChain(state: NftState, ref: NftTableRef, chain: string, held: { type: string; hook: string; priority: number; policy: string } | null): NftState {
  const t = state.get(nftTableKey(ref));
  if (t?.declared === undefined) throw new Error("no declared state read");
  const chains = new Map(t.declared.chains).set(chain, held);
  return new Map(state).set(nftTableKey(ref), { ...t, declared: { ...t.declared, chains } });
}

describe("ADD declares only what is missing", () => {
  test("bridge masquerade: the second attachment's batch is its own rule alone", () => {
    const k = new FakeNfKernel();
    apply(k, masq("c1", "10.0.0.2"));
    expect(ops(k.batches.at(-1))).toEqual(["add-table", "add-chain", "add-chain", "add-rule", "add-rule", "add-rule", "add-rule"]);
    apply(k, masq("c2", "10.0.0.3"));
    expect(ops(k.batches.at(-1))).toEqual(["add-rule"]);
    expect(k.batches.at(-1)?.[0]).toMatchObject({ chain: SHARED.masqChecks, rule: { src: { cidr: "10.0.0.3/32" } } });
  });

  test("portmap: the second container's batch is its DNAT and masquerade rules alone, per family", () => {
    const k = new FakeNfKernel();
    apply(k, portmap("c1", "10.0.0.2"));
    apply(k, portmap("c2", "10.0.0.3"));
    expect(ops(k.batches.at(-1))).toEqual(["add-rule", "add-rule", "add-rule"]);
    apply(k, portmapNftAdd({ network: "n", containerId: "c3", containerIp: "fd00::3/64", mappings: [], snat: false, masqAll: false, markMasqBit: 13 }));
    // The ip6 table does not exist yet: declared in full.
    expect(ops(k.batches.at(-1)).filter((o) => o === "add-table" || o === "add-chain")).toHaveLength(6);
  });

  test("macspoofchk: the shared prerouting chain is not declared again; each attachment's own chains are", () => {
    const k = new FakeNfKernel();
    apply(k, spoof("a", "02:00:00:00:00:01"));
    apply(k, spoof("b", "02:00:00:00:00:02"));
    expect(ops(k.batches.at(-1))).toEqual(["add-chain", "add-chain", "add-rule", "add-rule", "add-rule", "add-rule"]);
  });

  test("a base chain held with another priority, type, hook or policy is declared, and the kernel answers as before", () => {
    const k = new FakeNfKernel();
    apply(k, masq("c1", "10.0.0.2"));
    const plan = masq("c2", "10.0.0.3");
    const read = k.read(tablesOf(plan));
    const post = { type: "nat", hook: "postrouting", priority: 100, policy: "accept" };
    for (const held of [{ ...post, priority: 50 }, { ...post, type: "filter" }, { ...post, hook: "output" }, null]) {
      const steps = planNftSteps(plan, withChain(read, MASQ_NFT_TABLE, SHARED.masqPostrouting, held));
      expect(steps.filter((s) => s.op === "add-chain").map((s) => s.op === "add-chain" && s.chain)).toEqual([SHARED.masqPostrouting]);
    }
    // A policy the plan does not declare is not compared; one it declares is.
    expect(planNftSteps(plan, withChain(read, MASQ_NFT_TABLE, SHARED.masqPostrouting, { ...post, policy: "drop" })).filter((s) => s.op === "add-chain")).toEqual([]);
    const spoofPlan = spoof("b", "02:00:00:00:00:02");
    apply(k, spoof("a", "02:00:00:00:00:01"));
    const spoofRead = k.read(tablesOf(spoofPlan));
    const dropped = withChain(spoofRead, spoofPlan.ops[0]?.ref as NftTableRef, SHARED.spoofBaseChain, { type: "filter", hook: "prerouting", priority: -300, policy: "drop" });
    expect(planNftSteps(spoofPlan, dropped).filter((s) => s.op === "add-chain").map((s) => s.op === "add-chain" && s.chain)).toContain(SHARED.spoofBaseChain);

    // Held by another tool with another priority: the kernel's refusal reaches the caller, as before.
    const other = new FakeNfKernel();
    other.commit([{ op: "add-table", ref: MASQ_NFT_TABLE }, { op: "add-chain", ref: MASQ_NFT_TABLE, chain: SHARED.masqPostrouting, base: { type: "nat", hook: "postrouting", priority: 50 } }], other.generation);
    expect(() => apply(other, masq("c1", "10.0.0.2"))).toThrow("EEXIST");
  });

  test("a table held with flags (dormant, owned) is declared", () => {
    const k = new FakeNfKernel();
    apply(k, masq("c1", "10.0.0.2"));
    const plan = masq("c2", "10.0.0.3");
    const read = k.read(tablesOf(plan));
    const t = read.get(nftTableKey(MASQ_NFT_TABLE));
    if (t?.declared === undefined) throw new Error("no declared state read");
    const dormant = new Map(read).set(nftTableKey(MASQ_NFT_TABLE), { ...t, declared: { ...t.declared, flags: 1 } });
    expect(ops(planNftSteps(plan, dormant))).toEqual(["add-table", "add-rule"]);
  });

  test("a text listing (no declared state, what `nft -f -` is planned from) declares everything, as before", () => {
    const k = new FakeNfKernel();
    apply(k, masq("c1", "10.0.0.2"));
    const plan = masq("c2", "10.0.0.3");
    const text = new Map([...k.read(tablesOf(plan))].map(([key, t]) => [key, { chains: t.chains, rules: t.rules }]));
    expect(ops(planNftSteps(plan, text))).toEqual(["add-table", "add-chain", "add-chain", "add-rule"]);
  });

  test("a chain the plan removes first is declared again", () => {
    const ref = portmapNftTable(4);
    const chains = new Map<string, null>([["x", null]]);
    expect(alreadyDeclared({ op: "add-chain", ref, chain: "x" }, { flags: 0, chains }, new Set(["x"]))).toBe(true);
    expect(alreadyDeclared({ op: "add-chain", ref, chain: "x" }, { flags: 0, chains }, new Set())).toBe(false);
    expect(alreadyDeclared({ op: "add-chain", ref, chain: "y" }, { flags: 0, chains }, new Set(["y"]))).toBe(false);
    expect(alreadyDeclared({ op: "add-chain", ref, chain: "x" }, undefined, new Set(["x"]))).toBe(false);
  });

  test("a writer that deletes the table between read and commit: the call re-plans and declares it all, never half-applies", () => {
    const k = new FakeNfKernel();
    apply(k, masq("c1", "10.0.0.2"));
    const before = k.batches.length;
    k.meanwhile = () => k.commit([{ op: "delete-table", ref: MASQ_NFT_TABLE }], k.generation);
    apply(k, masq("c2", "10.0.0.3"));
    expect(k.batches.length).toBe(before + 2);
    expect(ops(k.batches.at(-1))).toEqual(["add-table", "add-chain", "add-chain", "add-rule", "add-rule", "add-rule", "add-rule"]);
    const rules = k.read([MASQ_NFT_TABLE]).get(nftTableKey(MASQ_NFT_TABLE))?.rules ?? [];
    expect(rules.filter((r) => r.chain === SHARED.masqChecks).map((r) => r.rule.src?.cidr)).toEqual(["10.0.0.3/32"]);
    // Had the stale plan (its own rule alone) gone in, the kernel would have refused it whole.
    expect(() => k.commit([{ op: "add-rule", ref: MASQ_NFT_TABLE, chain: SHARED.masqChecks, rule: { matches: [], verdict: { kind: "accept" } } }], k.generation - 1)).toThrow(KernelError);
  });
});
