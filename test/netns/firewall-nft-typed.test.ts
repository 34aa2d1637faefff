/**
 * The nft layout's typed rules against the kernel and nft itself. Every plan shape the planners
 * write goes in once through tscni's netlink batch and once as the `nft -f -` text it renders:
 * `nft list ruleset` must print the same, and reading either back over netlink must give the
 * planned model, chain by chain, in order (a rule with the user's conditions is written by nft
 * alone and is only counted), and applying the plan again changes nothing. Then a rule of another tool inside each of the plugins' chains:
 * ADD (twice), CHECK and DEL through the compiled binaries leave it where it is and say so,
 * while the pod's own rules come and go.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { applyNft } from "../../src/firewall/apply.ts";
import type { NftPlan, NftRuleSpec } from "../../src/firewall/model.ts";
import { NFPROTO, tableRef } from "../../src/firewall/netlink-state.ts";
import { decodeNftRule } from "../../src/firewall/nft-decode.ts";
import { renderNft } from "../../src/firewall/nftables.ts";
import { nftablesBackend } from "../../src/firewall/nftables-backend.ts";
import { masqNftAdd, masqNftDel, spoofCheckAdd, spoofCheckDel } from "../../src/firewall/nftables-plans.ts";
import { nftMasqInstanceHash } from "../../src/firewall/names.ts";
import { NftSession } from "../../src/netlink/nft/session.ts";
import { V191_DIR } from "../differential/oracles.ts";
import { mustExec, repoRoot, requireIsolatedHost, runCni, tscni } from "../harness.ts";
import { PLANS, rulesOf } from "../unit/firewall/nft-planned.ts";
import { DUAL_STACK_PREV_RESULT as prevResult, firewallFixture, flushRuleset, ruleset } from "./firewall-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const fx = firewallFixture("tscni-nfttyped-");
const LOCK = { lockPath: join(fx.work, "fw.lock") };

/** Each chain's rules as read back over netlink and decoded, keyed "<family> <table> <chain>". */
function readBack(plan: NftPlan): Map<string, NftRuleSpec[]> {
  const refs = [...new Map(plan.ops.map((op) => [`${op.ref.family} ${op.ref.table}`, op.ref])).values()];
  using s = NftSession.open();
  const rs = s.read(refs.map((r) => tableRef(r)));
  const out = new Map<string, NftRuleSpec[]>();
  for (const ref of refs) {
    for (const r of rs.rules.filter((x) => x.family === NFPROTO[ref.family] && x.table === ref.table)) {
      const key = `${ref.family} ${ref.table} ${r.chain}`;
      const spec = { rule: decodeNftRule(r.family, r.exprs), ...(r.comment !== undefined ? { comment: r.comment } : {}) };
      out.set(key, [...(out.get(key) ?? []), spec]);
    }
  }
  return out;
}

function planned(plan: NftPlan): Map<string, NftRuleSpec[]> {
  const out = new Map<string, NftRuleSpec[]>();
  for (const { ref, spec, chain } of rulesOf(plan)) {
    const key = `${ref.family} ${ref.table} ${chain}`;
    out.set(key, [...(out.get(key) ?? []), spec]);
  }
  return out;
}

const withConditions = (s: NftRuleSpec): boolean => s.rule.matches.some((m) => m.kind === "conditions");

function expectModel(have: Map<string, NftRuleSpec[]>, want: Map<string, NftRuleSpec[]>): number {
  expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
  let compared = 0;
  for (const [chain, rules] of want) {
    const got = have.get(chain) ?? [];
    expect({ chain, count: got.length }).toEqual({ chain, count: rules.length });
    rules.forEach((w, i) => {
      if (withConditions(w)) return;
      expect({ chain, i, spec: got[i] }).toEqual({ chain, i, spec: w });
      compared++;
    });
  }
  return compared;
}

describe("model -> netlink -> kernel -> model, and the same ruleset as nft's own parse of the text", () => {
  test.each(PLANS)("%s", async (_name, plan) => {
    await flushRuleset();
    await applyNft(plan, LOCK);
    const mine = await ruleset();
    const viaNetlink = readBack(plan);
    await flushRuleset();
    await mustExec(["nft", "-f", "-"], { stdin: renderNft(plan, new Map()) });
    expect(await ruleset()).toBe(mine);
    const want = planned(plan);
    expect(expectModel(viaNetlink, want)).toBeGreaterThan(0);
    expectModel(readBack(plan), want);
    // The same ADD again over what nft wrote: nothing added twice, nothing taken for another's.
    await applyNft(plan, LOCK);
    expect(await ruleset()).toBe(mine);
    // Nothing of what the plugins write reads as another tool's.
    expect((await nftablesBackend.read(LOCK)).foreign).toEqual([]);
  });
});

const portmapConf = {
  cniVersion: "1.0.0",
  name: "pmnet",
  type: "portmap",
  backend: "nftables",
  snat: true,
  prevResult,
  runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
};

async function portmap(bin: string, command: string, containerId: string) {
  const path = bin.startsWith(V191_DIR) ? V191_DIR : join(repoRoot, "dist");
  return runCni(bin, { command, containerId, netns: fx.netns(), ifname: "eth0", path, stdin: portmapConf, env: fx.env });
}

/** A rule of another tool in each of portmap's chains (the entry chains, the shared ones, the per-mapping ones). */
const FOREIGN: readonly [string, string][] = [
  ["ip cni_hostport prerouting", "ip saddr 192.0.2.1 accept"],
  ["ip cni_hostport output", "ip daddr 192.0.2.2 accept"],
  ["ip cni_hostport hostports_all", "ip saddr 192.0.2.3 return"],
  ["ip cni_hostport hostports", "tcp dport 9999 dnat to 10.0.0.9:99"],
  ["ip cni_hostport masquerading", "ip saddr 192.0.2.4 masquerade"],
  ["ip6 cni_hostport prerouting", "ip6 saddr 2001:db8::1 accept"],
];

describe("another tool's rules inside the plugins' chains", () => {
  test("portmap ADD, ADD again, CHECK, DEL (tscni's and the reference's) leave them in place and say so", async () => {
    await flushRuleset();
    // The reference lays the chains out; someone adds rules of their own in each.
    expect((await portmap(join(V191_DIR, "portmap"), "ADD", "other")).code).toBe(0);
    // The reference's own rules read as the plugins', so no ADD below keeps or names them.
    expect((await nftablesBackend.read(LOCK)).foreign).toEqual([]);
    for (const [chain, rule] of FOREIGN) await mustExec(["nft", `add rule ${chain} ${rule}`]);
    const foreignLines = FOREIGN.map(([, rule]) => rule);
    const present = async () => {
      const rs = await ruleset();
      return foreignLines.filter((l) => rs.includes(`\t\t${l}\n`));
    };
    expect(await present()).toEqual(foreignLines);

    const add = await portmap(tscni("portmap"), "ADD", "pod1");
    expect(add.code).toBe(0);
    expect(add.stderr).toMatch(/^tscni: kept foreign firewall rules: ip cni_hostport prerouting: handle \d+: ip saddr 192\.0\.2\.1 accept \(another's rule in a chain tscni keeps in shape\)$/m);
    // Said once per rule, however many times the transaction was planned.
    expect(add.stderr.split("\n").filter((l) => l.includes("192.0.2.1 accept")).length).toBe(1);
    const once = await ruleset();
    expect(await present()).toEqual(foreignLines);
    // v4: one dnat, masquerade of the container and of localhost; v6: one dnat, one masquerade.
    expect(once.match(/comment "pod1"/g)?.length).toBe(5);
    expect((await portmap(tscni("portmap"), "ADD", "pod1")).code).toBe(0);
    expect(await ruleset()).toBe(once); // no duplicates of ours, nothing of theirs lost or moved
    expect((await portmap(tscni("portmap"), "CHECK", "pod1")).code).toBe(0);

    const del = await portmap(tscni("portmap"), "DEL", "pod1");
    expect(del.code).toBe(0);
    const after = await ruleset();
    expect(after).not.toContain('"pod1"');
    expect(await present()).toEqual(foreignLines);
    // The reference's DEL of its own pod works around them too.
    expect((await portmap(join(V191_DIR, "portmap"), "DEL", "other")).code).toBe(0);
    expect(await present()).toEqual(foreignLines);
    // doctor's view (the same read) names each of them.
    const view = await nftablesBackend.read(LOCK);
    for (const [chain, rule] of FOREIGN) {
      expect(view.foreign).toContainEqual(expect.stringMatching(new RegExp(`^${chain.replace(/ (\S+)$/, " $1:")} a rule not written by the plugins \\(handle \\d+\\): ${rule.replace(/[.[\]]/g, "\\$&")}$`)));
    }
  });

  test("bridge masquerade and macspoofchk: re-ADD and DEL keep another tool's rules; a spoof chain holding one stays", async () => {
    await flushRuleset();
    const masq = { network: "brnet", containerId: "c1", ifname: "eth0", addresses: ["10.66.0.2/24", "fd66::2/64"] };
    const spoof = { containerId: "c1", ifname: "eth0", hostIfname: "veth0", containerMac: "02:00:00:00:00:01" };
    await applyNft(masqNftAdd(masq), LOCK);
    await applyNft(spoofCheckAdd(spoof), LOCK);
    const theirs = [
      ["inet cni_plugins_masquerade postrouting", "ip saddr 192.0.2.7 accept"],
      ["bridge nat PREROUTING", "ether saddr 02:00:00:00:00:09 accept"],
      ["bridge nat cni-br-iface-c1-eth0-mac", "ether saddr 02:00:00:00:00:08 return"],
    ];
    for (const [chain, rule] of theirs) await mustExec(["nft", `add rule ${chain} ${rule}`]);
    const present = async () => {
      const rs = await ruleset();
      return theirs.filter(([, l]) => rs.includes(`\t\t${l}\n`)).length;
    };
    const before = await ruleset();
    await applyNft(masqNftAdd(masq), LOCK);
    await applyNft(spoofCheckAdd(spoof), LOCK);
    expect(await ruleset()).toBe(before);
    expect((await nftablesBackend.read(LOCK)).foreign).toContainEqual(expect.stringContaining("postrouting: a rule not written by the plugins"));

    await applyNft(masqNftDel(masq), LOCK);
    await applyNft(spoofCheckDel(spoof), LOCK);
    const after = await ruleset();
    expect(await present()).toBe(theirs.length);
    expect(after).not.toContain(nftMasqInstanceHash("brnet", "eth0", "c1"));
    expect(after).not.toContain("macspoofchk-c1-eth0");
    // The chain holding another's rule stays (with only that rule); the one without goes.
    expect(after).toContain("chain cni-br-iface-c1-eth0-mac {");
    expect(after).not.toContain("chain cni-br-iface-c1-eth0 {");
    expect(after).toContain("goto masq_checks");
  });
});

describe("macspoofchk written in-process equals v1.9.1's", () => {
  interface Iface { name: string; mac?: string; sandbox?: string }
  const conf = (dir: string) => ({
    cniVersion: "1.0.0",
    name: "spnet",
    type: "bridge",
    bridge: "brsp0",
    macspoofchk: true,
    ipam: { type: "host-local", dataDir: join(fx.work, dir), ranges: [[{ subnet: "10.67.0.0/24" }]] },
  });
  const call = (ref: boolean, command: string) =>
    runCni(ref ? join(V191_DIR, "bridge") : tscni("bridge"), { command, containerId: "c1", netns: fx.netns(), ifname: "eth0", path: ref ? V191_DIR : join(repoRoot, "dist"), stdin: conf(ref ? "ref" : "mine"), env: fx.env });

  /**
   * The ruleset with the two values each ADD picks at random (the host veth's name, the container
   * MAC) replaced by placeholders: each must appear exactly once, in its own rule, before.
   */
  async function added(ref: boolean): Promise<string> {
    const r = await call(ref, "ADD");
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const ifaces = (r.json as { interfaces: Iface[] }).interfaces;
    const veth = ifaces.find((i) => i.sandbox === undefined && i.name !== "brsp0")?.name ?? "?";
    const mac = ifaces.find((i) => i.sandbox !== undefined)?.mac ?? "?";
    const rs = await ruleset();
    expect(rs.split(`iifname "${veth}" jump cni-br-iface-c1-eth0 comment`).length).toBe(2);
    expect(rs.split(`ether saddr ${mac} return comment`).length).toBe(2);
    expect(rs.split(veth).length + rs.split(mac).length).toBe(4);
    return rs.replace(veth, "HOSTVETH").replace(mac, "CONTAINERMAC");
  }

  test("same bridge-family table, chains and rules; each DEL removes the other's", async () => {
    await flushRuleset();
    const theirs = await added(true);
    expect((await nftablesBackend.read(LOCK)).foreign).toEqual([]);
    expect((await call(false, "DEL")).code).toBe(0);
    const leftByMine = await ruleset();
    expect(leftByMine).not.toContain("macspoofchk-c1-eth0");
    await flushRuleset();
    const mine = await added(false);
    expect(mine).toBe(theirs);
    expect((await call(true, "DEL")).code).toBe(0);
    expect(await ruleset()).toBe(leftByMine);
  });
});
