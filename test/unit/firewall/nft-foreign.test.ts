/**
 * The nft planners over the fake kernel with another tool's rules inside the plugins' chains:
 * ADD (twice) and DEL change only the plugins' own rules; the other rules keep their handles and
 * their place, and the resolver says what it left (resolveNftPlan's notes, printed on stderr).
 */
import { describe, expect, test } from "bun:test";
import type { NftPlan, NftTableRef } from "../../../src/firewall/model.ts";
import { nftTableKey } from "../../../src/firewall/model.ts";
import { portmapNftTable, SPOOF_NFT_TABLE } from "../../../src/firewall/names.ts";
import { resolveNftPlan } from "../../../src/firewall/nft-resolve.ts";
import { masqNftAdd, masqNftDel, portmapNftAdd, portmapNftDel, spoofCheckAdd } from "../../../src/firewall/nftables-plans.ts";
import type { Rule } from "../../../src/firewall/rule.ts";
import { FakeNfKernel } from "../../fixtures/firewall/fake-nf-kernel.ts";
import { tablesOf } from "./nft-planned.ts";

const notes: string[] = [];

function apply(k: FakeNfKernel, plan: NftPlan): void {
  k.transact(tablesOf(plan), (state) => {
    const r = resolveNftPlan(plan, state);
    notes.push(...r.notes);
    return r.steps;
  });
}

const accept = (cidr: string): Rule => ({ src: { cidr }, matches: [], verdict: { kind: "accept" } });

/** Adds another tool's rule at the end of a chain (as `nft add rule` would). */
function theirs(k: FakeNfKernel, ref: NftTableRef, chain: string, rule: Rule): void {
  k.commit([{ op: "add-rule", ref, chain, rule }], k.generation);
}

const rulesOf = (k: FakeNfKernel, ref: NftTableRef) => k.read([ref]).get(nftTableKey(ref))?.rules ?? [];

describe("another tool's rules in the plugins' nft chains", () => {
  test("portmap: ADD twice and DEL keep them with their handles; the entry rule of an earlier ADD is replaced", () => {
    const k = new FakeNfKernel();
    const t = portmapNftTable(4);
    const req = { network: "n", containerId: "c1", containerIp: "10.0.0.2/24", mappings: [{ hostPort: 80, containerPort: 8080, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 };
    apply(k, portmapNftAdd({ ...req, conditions: ["iifname", '"eth0"'] }));
    for (const chain of ["prerouting", "output", "hostports_all", "hostports"]) theirs(k, t, chain, accept("192.0.2.1/32"));
    const mine = () => rulesOf(k, t).filter((r) => r.rule.src?.cidr !== "192.0.2.1/32");
    const foreign = () => rulesOf(k, t).filter((r) => r.rule.src?.cidr === "192.0.2.1/32").map((r) => [r.chain, r.handle]);
    const before = foreign();
    notes.length = 0;

    apply(k, portmapNftAdd(req));
    // The conditions of the first ADD are gone from the entry rules, which are replaced, not duplicated.
    const entries = mine().filter((r) => r.chain === "prerouting" || r.chain === "output");
    expect(entries.map((r) => r.rule.matches)).toEqual([[{ kind: "dst-local" }], [{ kind: "dst-local" }]]);
    expect(foreign()).toEqual(before);
    // Named where a chain is kept in shape (prerouting, output, hostports_all); hostports only gains rules.
    expect(notes.filter((n) => n.includes("192.0.2.1")).map((n) => n.replace(/handle \d+/, "handle N"))).toEqual(
      ["hostports_all", "prerouting", "output"].map((c) => `ip cni_hostport ${c}: handle N: ip saddr 192.0.2.1 accept (another's rule in a chain tscni keeps in shape)`),
    );

    const batches = k.batches.length;
    apply(k, portmapNftAdd(req));
    // Nothing to add, delete or declare again: no batch at all.
    expect(k.batches.length).toBe(batches);
    expect(foreign()).toEqual(before);

    apply(k, portmapNftDel({ containerId: "c1" }));
    expect(mine().filter((r) => r.comment === "c1")).toEqual([]);
    expect(foreign()).toEqual(before);
  });

  test("masquerade: postrouting keeps another's rule; our three rules are not added twice", () => {
    const k = new FakeNfKernel();
    const req = { network: "n", containerId: "c1", ifname: "eth0", addresses: ["10.0.0.2/24"] };
    apply(k, masqNftAdd(req));
    const ref = { family: "inet", table: "cni_plugins_masquerade" } as const;
    theirs(k, ref, "postrouting", accept("192.0.2.7/32"));
    apply(k, masqNftAdd(req));
    apply(k, masqNftDel(req));
    expect(rulesOf(k, ref).map((r) => [r.chain, r.rule.verdict.kind])).toEqual([
      ["postrouting", "return"],
      ["postrouting", "return"],
      ["postrouting", "goto"],
      ["postrouting", "accept"],
    ]);
  });

  test("macspoofchk: the other attachments' jumps in PREROUTING are the plugins' (kept, not named); another tool's rule is named", () => {
    const k = new FakeNfKernel();
    const spoof = (id: string, mac: string) => spoofCheckAdd({ containerId: id, ifname: "eth0", hostIfname: `veth${id}`, containerMac: mac });
    apply(k, spoof("a", "02:00:00:00:00:01"));
    theirs(k, SPOOF_NFT_TABLE, "PREROUTING", { matches: [], verdict: { kind: "accept" } });
    notes.length = 0;
    apply(k, spoof("b", "02:00:00:00:00:02"));
    expect(notes.map((n) => n.replace(/handle \d+/, "handle N"))).toEqual(["bridge nat PREROUTING: handle N: accept (another's rule in a chain tscni keeps in shape)"]);
    expect(rulesOf(k, SPOOF_NFT_TABLE).filter((r) => r.chain === "PREROUTING").map((r) => r.comment)).toEqual(["macspoofchk-a-eth0", undefined, "macspoofchk-b-eth0"]);
  });
});
