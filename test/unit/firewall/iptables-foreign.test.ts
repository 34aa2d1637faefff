/**
 * Foreign rules in and around the plugins' iptables chains, for both writers: the restore text
 * (legacy nodes) and the in-process nf_tables batch, the latter against an in-memory kernel that
 * refuses what nf_tables refuses (test/fixtures/firewall/fake-xt-kernel.ts). ADD and DEL replace
 * or delete only the plugins' own rules; a foreign rule, a rule with a part tscni cannot read, or
 * a foreign jump into our chain stays, with what it needs, and is named in `kept`.
 */
import { describe, expect, test } from "bun:test";
import { parseIptablesSave, renderIptables } from "../../../src/firewall/iptables.ts";
import { ownedInChain, ownedJump } from "../../../src/firewall/iptables-owned.ts";
import { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd, portmapIptablesDel } from "../../../src/firewall/iptables-plans.ts";
import { iptablesView } from "../../../src/firewall/iptables-view.ts";
import type { IptablesPlan } from "../../../src/firewall/model.ts";
import { iptablesStateOf } from "../../../src/firewall/netlink-state.ts";
import { applyIptablesOver } from "../../../src/firewall/netlink.ts";
import { parseRuleArgs } from "../../../src/firewall/rule-parse.ts";
import { masqChainName, masqComment, portmapDnatChainName } from "../../../src/firewall/names.ts";
import type { Rule } from "../../../src/firewall/rule.ts";
import { encodeXtRule } from "../../../src/firewall/xt-encode.ts";
import { NFPROTO_IPV4 } from "../../../src/netlink/nft/constants.ts";
import type { Expr } from "../../../src/netlink/nft/expr.ts";
import { xtBaseChainRequest, xtRuleRequest, xtUserChainRequest } from "../../../src/netlink/nft/xt-messages.ts";
import { FakeXtKernel } from "../../fixtures/firewall/fake-xt-kernel.ts";
import { REFERENCE_MASQ_SAVE_V4, REFERENCE_SAVE_V4 } from "../../fixtures/firewall/reference-saves.ts";

const MASQ = masqChainName("mynet", "ctr1");
const DN = portmapDnatChainName("test", "ctr1");
const masqAdd = masqIptablesAdd({ network: "mynet", containerId: "ctr1", ifname: "eth0", addresses: ["10.22.0.2/24"] });
const masqDel = masqIptablesDel({ network: "mynet", containerId: "ctr1" });
const pm = (port: number): IptablesPlan =>
  portmapIptablesAdd({ network: "test", containerId: "ctr1", containerIp: "10.0.0.2/24", mappings: [{ hostPort: port, containerPort: 80, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 });
const pmDel = portmapIptablesDel({ network: "test", containerId: "ctr1" });

const FOREIGN_ACCEPT: Rule = { dst: { cidr: "192.0.2.1/32" }, matches: [], verdict: { kind: "accept" } };
const FOREIGN_PORT: Rule = { proto: "tcp", matches: [{ kind: "dport", port: 9 }], verdict: { kind: "accept" } };

describe("ownership (iptables-owned.ts)", () => {
  test("every rule of the reference's own layouts is the plugins'", () => {
    for (const save of [REFERENCE_SAVE_V4, REFERENCE_MASQ_SAVE_V4]) {
      for (const [chain, rules] of parseIptablesSave(save).rules) {
        for (const args of rules) {
          const rule = parseRuleArgs(args);
          expect(ownedInChain(chain, rule)).toBe(true);
          const target = args.at(-1) ?? "";
          if (target.startsWith("CNI-")) expect(ownedJump(chain, target, rule)).toBe(true);
        }
      }
    }
  });

  test("foreign, unreadable and misplaced rules are not, and the masquerade comment must name the chain", () => {
    const note = masqComment("mynet", "ctr1");
    const ours = parseRuleArgs(["-d", "10.22.0.0/24", "-m", "comment", "--comment", note, "-j", "ACCEPT"]);
    expect(ownedInChain(MASQ, ours)).toBe(true);
    expect(ownedInChain(masqChainName("mynet", "other"), ours)).toBe(false);
    expect(ownedInChain(MASQ, FOREIGN_ACCEPT)).toBe(false);
    expect(ownedInChain(MASQ, parseRuleArgs(["-m", "comment", "--comment", note, "-m", "limit", "--limit", "1/s", "-j", "ACCEPT"]))).toBe(false);
    expect(ownedInChain(DN, FOREIGN_PORT)).toBe(false);
    expect(ownedInChain(DN, FOREIGN_ACCEPT)).toBe(false);
    const jump = parseRuleArgs(["-s", "10.22.0.2/32", "-m", "comment", "--comment", note, "-j", MASQ]);
    expect(ownedJump("POSTROUTING", MASQ, jump)).toBe(true);
    expect(ownedJump("OUTPUT", MASQ, jump)).toBe(false);
    expect(ownedJump("OUTPUT", DN, { matches: [], verdict: { kind: "jump", chain: DN } })).toBe(false);
  });
});

describe("restore text (iptables-legacy)", () => {
  const withForeign = (save: string, chain: string, line: string) => parseIptablesSave(save.replace("COMMIT", `-A ${chain} ${line}\nCOMMIT`));

  test("DEL of a masquerade chain holding a foreign rule deletes only the plugin's rules; chain and jump stay", () => {
    const kept: string[] = [];
    const text = renderIptables(masqDel[0] as IptablesPlan, withForeign(REFERENCE_MASQ_SAVE_V4, MASQ, "-d 192.0.2.1/32 -j ACCEPT"), kept);
    const lines = text.split("\n").filter((l) => l.startsWith("-"));
    expect(lines.map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual([`-D ${MASQ}`, `-D ${MASQ}`]);
    expect(text).not.toContain("192.0.2.1");
    expect(kept).toEqual([expect.stringContaining(`ipv4 nat chain ${MASQ}: holds rules the plugins did not write`)]);
    expect(kept[0]).toContain(`-A ${MASQ} -d 192.0.2.1/32 -j ACCEPT`);
  });

  test("portmap re-ADD with other mappings replaces the plugin's DNAT rules around a foreign one, never flushing", () => {
    const kept: string[] = [];
    const text = renderIptables(pm(7000), withForeign(REFERENCE_SAVE_V4, DN, "-p tcp -m tcp --dport 9 -j ACCEPT"), kept);
    expect(text).not.toContain(`-F ${DN}`);
    expect(text).not.toContain(`:${DN}`);
    expect(text).not.toContain("--dport 9 ");
    expect(text).toContain(`-A ${DN} -p tcp -m tcp --dport 7000 -j DNAT --to-destination 10.0.0.2:80`);
    expect(text.split("\n").filter((l) => l.startsWith(`-D ${DN}`))).toHaveLength(9);
    expect(kept).toHaveLength(1);
  });

  test("DEL with a foreign jump into the chain empties the chain of ours and keeps it for that jump", () => {
    const kept: string[] = [];
    const text = renderIptables(pmDel[0] as IptablesPlan, withForeign(REFERENCE_SAVE_V4, "OUTPUT", `-d 192.0.2.7/32 -j ${DN}`), kept);
    expect(text).not.toContain(`-X ${DN}`);
    expect(text).not.toContain("192.0.2.7");
    expect(text.split("\n").filter((l) => l.startsWith(`-D CNI-HOSTPORT-DNAT`))).toHaveLength(3);
    expect(kept).toEqual([expect.stringContaining("jumped to by rules the plugins did not write")]);
  });

  test("a node with only the plugins' rules: DEL still flushes and deletes, and says nothing", () => {
    const kept: string[] = [];
    expect(renderIptables(masqDel[0] as IptablesPlan, parseIptablesSave(REFERENCE_MASQ_SAVE_V4), kept)).toContain(`-X ${MASQ}`);
    expect(kept).toEqual([]);
  });
});

/** The masquerade chain's rules and POSTROUTING's, as iptables-save would print them. */
function save(k: FakeXtKernel): Map<string, string[]> {
  const state = iptablesStateOf(4, k.read());
  return new Map([...state.rules].map(([c, r]) => [c, r.map((a) => a.join(" "))]));
}

/** Another tool appends `rule` to `chain` (its own batch, at the current generation). */
function foreignAppend(k: FakeXtKernel, chain: string, rule: Rule, before: readonly Expr[] = []): void {
  const xt = encodeXtRule(4, rule);
  if (xt === undefined) throw new Error("not encodable");
  expect(k.commit([xtRuleRequest(NFPROTO_IPV4, "nat", chain, { ...xt, exprs: [...before, ...xt.exprs] })], k.generation)).toBe(true);
}

describe("in-process writer over the fake kernel", () => {
  test("the fake kernel refuses what nf_tables refuses, and a refused batch changes nothing", () => {
    const k = new FakeXtKernel();
    applyIptablesOver(k, masqAdd);
    const before = save(k);
    const gen = k.generation;
    // A jump to a chain that does not exist: the planner names it before any message is sent...
    const bad = portmapIptablesAdd({ network: "t", containerId: "x", containerIp: "10.0.0.9/24", mappings: [{ hostPort: 1, containerPort: 1, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13, externalSetMarkChain: "NO-SUCH-CHAIN" });
    expect(() => applyIptablesOver(k, [bad])).toThrow("iptables nat: Chain 'NO-SUCH-CHAIN' does not exist");
    expect(save(k)).toEqual(before);
    expect(k.generation).toBe(gen);
    // ...and the kernel, sent such a batch anyway, refuses all of it (the chain it creates first included).
    const jump = encodeXtRule(4, { ...FOREIGN_ACCEPT, verdict: { kind: "jump", chain: "NO-SUCH-CHAIN" } });
    if (jump === undefined) throw new Error("not encodable");
    expect(() => k.commit([xtUserChainRequest(NFPROTO_IPV4, "nat", "CNI-NEW"), xtRuleRequest(NFPROTO_IPV4, "nat", "CNI-NEW", jump)], gen)).toThrow("no such file or directory");
    expect(save(k)).toEqual(before);
    expect(k.generation).toBe(gen);
    expect(k.commit([], gen - 1)).toBe(true);
    const again = encodeXtRule(4, FOREIGN_ACCEPT);
    if (again === undefined) throw new Error("not encodable");
    expect(k.commit([xtRuleRequest(NFPROTO_IPV4, "nat", MASQ, again)], gen - 1)).toBe(false);
  });

  test("a writer committing between read and batch: the batch is re-read and re-planned, never half-applied", () => {
    const k = new FakeXtKernel();
    applyIptablesOver(k, [pm(8080)]);
    const reads = k.reads;
    // Another container's portmap ADD commits while this one is between its read and its batch.
    const other = portmapIptablesAdd({ network: "test", containerId: "ctr2", containerIp: "10.0.0.3/24", mappings: [{ hostPort: 8081, containerPort: 80, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 });
    k.meanwhile = () => applyIptablesOver(k, [other]);
    applyIptablesOver(k, masqAdd);
    expect(k.reads - reads).toBe(3); // ours, the racer's, ours again
    const s = save(k);
    expect(s.get("CNI-HOSTPORT-DNAT")).toHaveLength(2);
    expect(s.get(MASQ)).toHaveLength(2);
    expect(s.get("POSTROUTING")?.filter((r) => r.endsWith(MASQ))).toHaveLength(1);
    // Both shared setups ran against state the other had already built: nothing twice.
    expect(s.get("CNI-HOSTPORT-SETMARK")).toHaveLength(1);
  });

  test("masquerade DEL around a foreign rule and an unreadable one: ours go, theirs, the chain and its jump stay; then a clean DEL", () => {
    const k = new FakeXtKernel();
    applyIptablesOver(k, masqAdd);
    foreignAppend(k, MASQ, FOREIGN_ACCEPT);
    // Our own comment, but an expression the model does not know in front of it.
    foreignAppend(k, MASQ, { matches: [{ kind: "comment", text: masqComment("mynet", "ctr1") }], verdict: { kind: "accept" } }, [{ name: "numgen", attrs: [] }]);
    const kept: string[] = [];
    applyIptablesOver(k, masqDel, kept);
    const s = save(k);
    expect(s.get(MASQ)).toEqual(["-d 192.0.2.1/32 -j ACCEPT", expect.stringContaining("?numgen")]);
    expect(s.get("POSTROUTING")).toEqual([expect.stringContaining(`-j ${MASQ}`)]);
    expect(kept).toEqual([expect.stringContaining(`ipv4 nat chain ${MASQ}: holds rules the plugins did not write`)]);
    expect(iptablesView(new Map([[4, iptablesStateOf(4, k.read())]])).foreign).toEqual([
      `ipv4 nat ${MASQ}: a rule not written by the plugin: -d 192.0.2.1/32 -j ACCEPT`,
      expect.stringMatching(new RegExp(`^ipv4 nat ${MASQ}: a rule tscni cannot read: .*\\?numgen`)),
    ]);

    // A repeated DEL changes nothing and says so again.
    const batches = k.batches.length;
    const again: string[] = [];
    applyIptablesOver(k, masqDel, again);
    expect(k.batches.length).toBe(batches);
    expect(again).toHaveLength(1);
  });

  test("portmap: re-ADD keeps a foreign rule in the DNAT chain, DEL keeps it with the chain and the entry jumps", () => {
    const k = new FakeXtKernel();
    applyIptablesOver(k, [pm(8080)]);
    foreignAppend(k, DN, FOREIGN_PORT);
    const kept: string[] = [];
    applyIptablesOver(k, [pm(7000)], kept);
    let s = save(k);
    expect(s.get(DN)?.filter((r) => r.includes("--dport 9 "))).toHaveLength(1);
    expect(s.get(DN)?.filter((r) => r.includes("--dport 7000"))).toHaveLength(3);
    expect(s.get(DN)?.filter((r) => r.includes("--dport 8080"))).toHaveLength(0);
    expect(kept).toHaveLength(1);

    applyIptablesOver(k, pmDel);
    s = save(k);
    expect(s.get(DN)).toEqual(["-p tcp -m tcp --dport 9 -j ACCEPT"]);
    expect(s.get("CNI-HOSTPORT-DNAT")).toHaveLength(1);
  });

  test("a foreign jump into our chain from a chain the scoped read leaves out: EBUSY, full read, the emptied chain stays", () => {
    const k = new FakeXtKernel();
    applyIptablesOver(k, [pm(8080)]);
    expect(k.commit([xtBaseChainRequest(NFPROTO_IPV4, "nat", "INPUT")], k.generation)).toBe(true);
    foreignAppend(k, "INPUT", { matches: [], verdict: { kind: "jump", chain: DN } });
    const kept: string[] = [];
    applyIptablesOver(k, pmDel, kept);
    const s = save(k);
    expect(s.get(DN) ?? []).toEqual([]);
    expect(iptablesStateOf(4, k.read()).chains.has(DN)).toBe(true);
    expect(s.get("INPUT")).toEqual([`-j ${DN}`]);
    expect(s.get("CNI-HOSTPORT-DNAT") ?? []).toEqual([]);
    expect(kept).toEqual([expect.stringContaining("jumped to by rules the plugins did not write")]);
  });
});
