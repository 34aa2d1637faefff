/**
 * The nft layout planners against an in-memory nf_tables that refuses what the kernel refuses
 * (test/fixtures/firewall/fake-nf-kernel.ts): every plan, resolved against a read, must commit as
 * one batch without ENOENT/EBUSY, stay correct when another writer commits between the read and
 * the batch, and leave exactly what the reference's layout leaves. The fake itself is checked
 * first, so a planner test cannot pass on a kernel that accepts anything.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deleteNftMasqInstance, staleNftMasqInstances } from "../../../src/firewall/masq-gc.ts";
import { stalePortmapNft } from "../../../src/firewall/gc.ts";
import { type NftPlan, type NftStep, nftTableKey } from "../../../src/firewall/model.ts";
import { MASQ_NFT_TABLE, nftMasqInstanceHash, portmapNftTable } from "../../../src/firewall/names.ts";
import { countRulesWithComment, planNftSteps, tablesToRead } from "../../../src/firewall/nftables.ts";
import { nftRuleText } from "../../../src/firewall/nft-text.ts";
import { masqNftAdd, masqNftDel, portmapNftAdd, portmapNftDel, spoofCheckAdd, spoofCheckDel } from "../../../src/firewall/nftables-plans.ts";
import { nftablesBackend } from "../../../src/firewall/nftables-backend.ts";
import { FakeNfKernel, fakeTransport, KernelError } from "../../fixtures/firewall/fake-nf-kernel.ts";
import { portmapRequest as pm } from "../../fixtures/firewall/requests.ts";

const T = { family: "ip", table: "t" } as const;


/** Applies a plan the way the transports do: planned from one read, one batch, retried on a race. */
function apply(k: FakeNfKernel, plan: NftPlan): void {
  const refs = [...new Map([...plan.ops.map((o) => o.ref), ...tablesToRead(plan)].map((r) => [nftTableKey(r), r])).values()];
  k.transact(refs, (state) => planNftSteps(plan, state));
}

const errno = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof KernelError ? err.errno : String(err);
  }
};

describe("the fake kernel", () => {
  test("refuses what nf_tables refuses, and a refused batch changes nothing", () => {
    const k = new FakeNfKernel();
    const setup: NftStep[] = [
      { op: "add-table", ref: T },
      { op: "add-chain", ref: T, chain: "a" },
      { op: "add-chain", ref: T, chain: "b" },
      { op: "add-rule", ref: T, chain: "a", rule: { matches: [], verdict: { kind: "jump", chain: "b" } } },
    ];
    k.commit(setup, 1);
    expect(k.generation).toBe(2);
    const before = k.read([T]);
    expect(errno(() => k.commit([{ op: "delete-rule", ref: T, chain: "a", handle: 99 }], 2))).toBe("ENOENT");
    expect(errno(() => k.commit([{ op: "add-rule", ref: T, chain: "a", rule: { matches: [], verdict: { kind: "jump", chain: "nowhere" } } }], 2))).toBe("ENOENT");
    expect(errno(() => k.commit([{ op: "flush-chain", ref: { family: "ip", table: "missing" }, chain: "a" }], 2))).toBe("ENOENT");
    // b is jumped to: the whole batch (its first step included) is refused.
    expect(errno(() => k.commit([{ op: "add-rule", ref: T, chain: "b", rule: { matches: [], verdict: { kind: "accept" } } }, { op: "delete-chain", ref: T, chain: "b" }], 2))).toBe("EBUSY");
    expect(errno(() => k.commit([{ op: "add-chain", ref: T, chain: "a", base: { type: "nat", hook: "postrouting", priority: 100 } }], 2))).toBe("EEXIST");
    expect(errno(() => k.commit([{ op: "add-table", ref: T }], 1))).toBe("ERESTART");
    expect(k.read([T])).toEqual(before);
    expect(k.generation).toBe(2);
  });

  test("a writer committing between read and batch makes the transaction re-plan, not fail or half-apply", () => {
    const k = new FakeNfKernel();
    k.commit([{ op: "add-table", ref: T }, { op: "add-chain", ref: T, chain: "a" }, { op: "add-rule", ref: T, chain: "a", rule: { matches: [], verdict: { kind: "accept" } }, comment: "x" }], 1);
    let plans = 0;
    k.meanwhile = () => k.commit([{ op: "add-rule", ref: T, chain: "a", rule: { matches: [], verdict: { kind: "drop" } }, comment: "other" }], k.generation);
    k.transact([T], (state) => {
      plans++;
      return (state.get(nftTableKey(T))?.rules ?? []).filter((r) => r.comment === "x").map((r) => ({ op: "delete-rule", ref: T, chain: r.chain, handle: r.handle }));
    });
    expect(plans).toBe(2);
    expect(k.read([T]).get(nftTableKey(T))?.rules.map((r) => r.comment)).toEqual(["other"]);
  });
});

describe("nft masquerade planner", () => {
  const a = { network: "net", containerId: "a", ifname: "eth0", addresses: ["10.0.0.2/24", "fd00::2/64"] };
  const b = { ...a, containerId: "b", addresses: ["10.0.0.3/24"] };
  const masqRules = (k: FakeNfKernel) => k.read([MASQ_NFT_TABLE]).get(nftTableKey(MASQ_NFT_TABLE))?.rules ?? [];

  test("ADD twice, another ADD, DEL, DEL again, GC: one batch each, nothing refused, the reference's layout", () => {
    const k = new FakeNfKernel();
    apply(k, masqNftAdd(a));
    apply(k, masqNftAdd(a));
    apply(k, masqNftAdd(b));
    const instances = (c: string) => masqRules(k).filter((r) => r.comment?.startsWith(nftMasqInstanceHash("net", "eth0", c))).length;
    expect([instances("a"), instances("b")]).toEqual([2, 1]);
    expect(masqRules(k).filter((r) => r.chain === "postrouting").map((r) => nftRuleText(r.rule))).toEqual(["ip daddr 224.0.0.0/4 return", "ip6 daddr ff00::/8 return", "goto masq_checks"]);

    apply(k, masqNftDel(a));
    expect([instances("a"), instances("b")]).toEqual([0, 1]);
    const batches = k.batches.length;
    apply(k, masqNftDel(a));
    expect(k.batches.length).toBe(batches);

    const table = k.read([MASQ_NFT_TABLE]).get(nftTableKey(MASQ_NFT_TABLE));
    const stale = staleNftMasqInstances(table, { network: "net", valid: [] });
    expect(stale).toEqual([nftMasqInstanceHash("net", "eth0", "b")]);
    apply(k, { ops: stale.map(deleteNftMasqInstance) });
    expect(masqRules(k).filter((r) => r.chain === "masq_checks")).toEqual([]);
  });
});

describe("nft portmap planner", () => {

  test("both families in one batch; re-ADD adds nothing; a racing writer is kept; DEL and GC leave the shared layout", () => {
    const k = new FakeNfKernel();
    const refs = [portmapNftTable(4), portmapNftTable(6)];
    const both = { ops: [...portmapNftAdd(pm("c1", "10.0.0.2/24")).ops, ...portmapNftAdd(pm("c1", "fd00::2/64")).ops] };
    apply(k, both);
    expect(k.batches).toHaveLength(1);
    const count = (family: 4 | 6, chain: string, cid: string) => countRulesWithComment(k.read(refs).get(nftTableKey(portmapNftTable(family))), chain, cid);
    expect([count(4, "hostports", "c1"), count(6, "hostports", "c1"), count(4, "masquerading", "c1")]).toEqual([1, 1, 2]);
    const rules = () => k.read(refs).get(nftTableKey(portmapNftTable(4)))?.rules.length;
    const n = rules();
    apply(k, portmapNftAdd(pm("c1", "10.0.0.2/24")));
    expect(rules()).toBe(n);

    // Another container's ADD commits while c2's is between its read and its batch.
    k.meanwhile = () => apply(k, portmapNftAdd(pm("c3", "10.0.0.4/24")));
    apply(k, portmapNftAdd(pm("c2", "10.0.0.3/24")));
    expect([count(4, "hostports", "c2"), count(4, "hostports", "c3")]).toEqual([1, 1]);

    apply(k, portmapNftDel({ containerId: "c1" }));
    expect([count(4, "hostports", "c1"), count(6, "hostports", "c1"), count(4, "masquerading", "c1")]).toEqual([0, 0, 0]);
    const gc = stalePortmapNft(new Set(["c2"]), k.read(refs));
    expect(gc.map((s) => s.id)).toEqual(["c3"]);
    apply(k, { ops: gc.map((s) => s.op) });
    const left = k.read(refs).get(nftTableKey(portmapNftTable(4)));
    expect([...(left?.chains ?? [])].sort()).toEqual(["hostip_hostports", "hostports", "hostports_all", "masquerading", "output", "prerouting"]);
    expect(left?.rules.filter((r) => r.comment !== undefined).map((r) => r.comment)).toEqual(["c2", "c2", "c2"]);
  });
});

describe("macspoofchk planner", () => {
  test("ADD, re-ADD and DEL commit against the bridge table; DEL removes both chains and the jump", () => {
    const k = new FakeNfKernel();
    const ref = { family: "bridge", table: "nat" } as const;
    const req = { containerId: "c1", ifname: "eth0", hostIfname: "veth1", containerMac: "02:00:00:00:00:01" };
    apply(k, spoofCheckAdd(req));
    apply(k, spoofCheckAdd(req));
    const t = () => k.read([ref]).get(nftTableKey(ref));
    expect(t()?.rules.filter((r) => r.chain === "PREROUTING")).toHaveLength(1);
    expect([...(t()?.chains ?? [])].sort()).toEqual(["PREROUTING", "cni-br-iface-c1-eth0", "cni-br-iface-c1-eth0-mac"]);
    apply(k, spoofCheckDel(req));
    expect([...(t()?.chains ?? [])]).toEqual(["PREROUTING"]);
    expect(t()?.rules).toEqual([]);
  });
});

describe("the nftables backend over the fake kernel (ApplyOptions.transport)", () => {
  const lockPath = join(mkdtempSync(join(tmpdir(), "tscni-fake-kernel-")), "fw.lock");

  test("ADD, CHECK, read, tscni gc's transaction, DEL and GC go through the transport, one batch each", async () => {
    const k = new FakeNfKernel();
    const opts = { transport: fakeTransport(k), lockPath };
    const masq = { network: "net", containerId: "a", ifname: "eth0", addresses: ["10.0.0.2/24"] };
    await nftablesBackend.apply({ kind: "masquerade", req: masq }, opts);
    await nftablesBackend.apply({ kind: "masquerade", req: { ...masq, containerId: "b", addresses: ["10.0.0.3/24"] } }, opts);
    await nftablesBackend.apply({ kind: "portmap", reqs: [pm("a", "10.0.0.2/24"), pm("a", "fd00::2/64")] }, opts);
    expect(k.batches).toHaveLength(3);
    await nftablesBackend.check({ kind: "portmap", reqs: [pm("a", "10.0.0.2/24")] }, opts);
    await expect(nftablesBackend.check({ kind: "portmap", reqs: [pm("z", "10.0.0.9/24")] }, opts)).rejects.toThrow('missing hostport rules in "hostports" chain');

    const view = await nftablesBackend.read(opts);
    expect(view.entries.map((e) => `${e.kind} ${e.where} ${e.containerId}`).sort()).toEqual([
      "masquerade inet cni_plugins_masquerade a",
      "masquerade inet cni_plugins_masquerade b",
      "portmap ip cni_hostport a",
      "portmap ip6 cni_hostport a",
    ]);
    expect(view.foreign).toEqual([]);
    const gc = view.planGc([{ network: "net", keep: [{ containerId: "a", ifname: "eth0" }] }], new Set(["b"]));
    expect(gc.items.map((i) => `${i.network} ${i.entry.kind} ${i.containerId}`)).toEqual(["net masquerade b", "* portmap a", "* portmap a"]);
    expect([...(await gc.apply(opts)).values()]).toEqual([]);
    expect((await nftablesBackend.read(opts)).entries.map((e) => e.containerId)).toEqual(["a"]);

    await nftablesBackend.removeOwned({ kind: "masquerade", ref: masq }, opts);
    await nftablesBackend.removeOwned({ kind: "masquerade", ref: masq }, opts);
    await nftablesBackend.removeStale({ kind: "portmap", network: "net", validContainerIds: [] }, opts);
    expect((await nftablesBackend.read(opts)).entries).toEqual([]);
  });

  test("a batch the kernel refuses fails with the reference's message and changes nothing", async () => {
    const k = new FakeNfKernel();
    const ref = portmapNftTable(4);
    // Another tool's regular chain where portmap needs its prerouting hook.
    k.commit([{ op: "add-table", ref }, { op: "add-chain", ref, chain: "prerouting" }], 1);
    const before = k.read([ref]);
    const opts = { transport: fakeTransport(k), lockPath };
    await expect(nftablesBackend.apply({ kind: "portmap", reqs: [pm("a", "10.0.0.2/24")] }, opts)).rejects.toThrow(
      "unable to set up nftables rules for port mappings: EEXIST: chain prerouting exists with another hook",
    );
    expect(k.read([ref])).toEqual(before);
  });

  // nft portmap rules carry only the container ID: one network's GC cannot prove a rule its own
  // (a live pod of another network would lose its mappings), so it leaves them all, as v1.9.1's
  // GC does; tscni gc's plan, keeping the IDs live on every network, removes the rest.
  test("portmap: one network's GC leaves every rule; tscni gc's plan removes the ID live nowhere", async () => {
    const k = new FakeNfKernel();
    const opts = { transport: fakeTransport(k), lockPath };
    await nftablesBackend.apply({ kind: "portmap", reqs: [pm("live-a", "10.0.0.2/24")] }, opts);
    await nftablesBackend.apply({ kind: "portmap", reqs: [{ ...pm("live-b", "10.1.0.2/24"), network: "other" }] }, opts);
    await nftablesBackend.apply({ kind: "portmap", reqs: [pm("gone", "10.0.0.3/24")] }, opts);
    const ids = async (): Promise<string[]> => (await nftablesBackend.read(opts)).entries.map((e) => e.containerId ?? "?").sort();
    expect(await ids()).toEqual(["gone", "live-a", "live-b"]);
    const batches = k.batches.length;

    await nftablesBackend.removeStale({ kind: "portmap", network: "net", validContainerIds: ["live-a"] }, opts);
    expect(await ids()).toEqual(["gone", "live-a", "live-b"]);
    expect(k.batches).toHaveLength(batches);

    // A stale ID on a rule with a statement the typed model does not know (a counter): not
    // provably the plugin's, so tscni gc keeps it and doctor names it.
    const ref = portmapNftTable(4);
    const odd = { proto: "tcp", matches: [{ kind: "dport", port: 8081 }, { kind: "foreign", tokens: ["counter"] }], verdict: { kind: "dnat", addr: "10.0.0.4", port: 80 } } as const;
    k.commit([{ op: "add-rule", ref, chain: "hostports", comment: "odd", rule: odd }], k.generation);
    const oddRules = (): number => (k.read([ref]).get(nftTableKey(ref))?.rules ?? []).filter((r) => r.comment === "odd").length;
    const view = await nftablesBackend.read(opts);
    expect(view.foreign).toEqual([expect.stringContaining('comment "odd"')]);

    const gc = view.planGc([], new Set(["live-a", "live-b"]));
    expect(gc.items.map((i) => `${i.network} ${i.containerId}`)).toEqual(["* gone"]);
    expect([...(await gc.apply(opts)).values()]).toEqual([]);
    expect((await ids()).filter((id) => id !== "odd")).toEqual(["live-a", "live-b"]);
    expect(oddRules()).toBe(1);
  });
});
