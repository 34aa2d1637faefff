/**
 * nf_tables messages against the bytes nft 1.0.6 and iptables-nft 1.8.9 exchanged with the kernel
 * (test/fixtures/netlink/nft.json, recorded by nft-record.ts): deletes by handle, flush and chain
 * deletes carry the same bodies nft sent; the kernel's dumps decode to the rules the tools wrote
 * (as `iptables-save` tokens and `nft list` text); a decoded rule re-encodes to the same bytes.
 */
import { describe, expect, test } from "bun:test";
import { xtRuleArgs } from "../../../src/firewall/xt-decode.ts";
import { nftRuleText, parseNftText } from "../../../src/firewall/nft-text.ts";
import { decodeNftRule } from "../../../src/firewall/nft-decode.ts";
import { NLM_F_ACK, type Message } from "../../../src/netlink/index.ts";
import { encodeMessage } from "../../../src/netlink/message.ts";
import { NFPROTO_INET, NFPROTO_IPV4, NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE, NFT_MSG_NEWTABLE } from "../../../src/netlink/nft/constants.ts";
import { compileRule, hookSpec } from "../../../src/firewall/nft-compile.ts";
import type { Request } from "../../../src/netlink/message.ts";
import { attrList } from "../../../src/netlink/nft/expr.ts";
import {
  decodeRule,
  delChainRequest,
  delRuleRequest,
  flushChainRequest,
  newChainRequest,
  newRuleRequest,
  newTableRequest,
  nftType,
  type NftRule,
} from "../../../src/netlink/nft/messages.ts";
import { readComment, writeComment } from "../../../src/netlink/nft/udata.ts";
import { received, scenarios, sentBatch } from "./golden.ts";

const batch = (name: string): Message[] => sentBatch("nft", name);

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function rules(name: string): NftRule[] {
  return received("nft", name).flatMap((m) => decodeRule(m) ?? []);
}

describe("batches nft sent", () => {
  test("delete rule by handle: same body; tscni also asks for an ACK", () => {
    const msgs = batch("delete-rule-by-handle");
    const del = msgs.find((m) => m.type === nftType(NFT_MSG_DELRULE));
    const mine = delRuleRequest(NFPROTO_INET, "cni_plugins_masquerade", "masq_checks", 2n);
    expect(hex(mine.body)).toBe(hex(del?.payload ?? new Uint8Array()));
    expect(mine.flags).toBe((del?.flags ?? 0) | NLM_F_ACK);
    // BEGIN carries the nf_tables subsystem in res_id, as nft's does (tscni adds the generation).
    expect(hex(msgs[0]?.payload.subarray(0, 4) ?? new Uint8Array())).toBe("0000000a");
  });

  test("flush chain and delete chain: same bodies", () => {
    const msgs = batch("flush-delete-chain");
    const flush = msgs.find((m) => m.type === nftType(NFT_MSG_DELRULE));
    const del = msgs.find((m) => m.type === nftType(NFT_MSG_DELCHAIN));
    expect(hex(flushChainRequest(NFPROTO_IPV4, "cni_hostport", "hostports").body)).toBe(hex(flush?.payload ?? new Uint8Array()));
    expect(hex(delChainRequest(NFPROTO_IPV4, "cni_hostport", "hostports").body)).toBe(hex(del?.payload ?? new Uint8Array()));
  });
});

describe("dumps the kernel sent", () => {
  test("iptables-nft rules read back as the tokens iptables-save prints", () => {
    const byChain = (chain: string) => rules("iptables-save-nat").filter((r) => r.chain === chain).map((r) => xtRuleArgs(NFPROTO_IPV4, r.exprs));
    expect(byChain("POSTROUTING")).toEqual([["-s", "10.88.0.5/32", "-m", "comment", "--comment", 'name: "n{#x" id: "c1"', "-j", "CNI-aaaaaaaaaaaaaaaaaaaaaaaa"]]);
    expect(byChain("CNI-aaaaaaaaaaaaaaaaaaaaaaaa")).toEqual([
      ["-d", "10.88.0.0/16", "-m", "comment", "--comment", 'name: "n{#x" id: "c1"', "-j", "ACCEPT"],
      ["!", "-d", "224.0.0.0/4", "-m", "comment", "--comment", 'name: "n{#x" id: "c1"', "-j", "MASQUERADE"],
    ]);
    expect(byChain("PREROUTING")).toEqual([["-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"]]);
    expect(byChain("CNI-HOSTPORT-DNAT")).toEqual([
      ["-p", "tcp", "-m", "comment", "--comment", 'dnat name: "n" id: "c1"', "-m", "multiport", "--dports", "8080,8081", "-j", "CNI-DN-bbbbbbbbbbbbbbbbbbbbb"],
    ]);
    expect(byChain("CNI-DN-bbbbbbbbbbbbbbbbbbbbb")).toEqual([["-p", "tcp", "-m", "tcp", "--dport", "8080", "-j", "DNAT", "--to-destination", "10.88.0.5:80"]]);
  });

  test("nft rules read back with comment, handle and the text nft list prints", () => {
    const [pm] = rules("list-hostport");
    expect(pm && { comment: pm.comment, handle: pm.handle, text: nftRuleText(decodeNftRule(pm.family, pm.exprs)) }).toEqual({
      comment: "ctr{#1",
      handle: 2n,
      text: "tcp dport 8080 dnat to 10.0.0.2:80",
    });
    expect(rules("list-masquerade").map((r) => [r.comment, nftRuleText(decodeNftRule(r.family, r.exprs))])).toEqual([
      ["aaaa-bbbb, net: n, if: e{#x, id: c", "ip saddr 10.0.0.2 ip daddr != 10.0.0.0/24 masquerade"],
      ["aaaa-bbbb", "ip6 saddr fd00::2 ip6 daddr != fd00::/64 masquerade"],
    ]);
    // As typed rules, not foreign ones: the kernel's dump (nat ranges completed) re-encodes to what tscni writes.
    expect(pm && decodeNftRule(pm.family, pm.exprs)).toEqual({ proto: "tcp", matches: [{ kind: "dport", port: 8080 }], verdict: { kind: "dnat", addr: "10.0.0.2", port: 80 } });
    expect(rules("list-masquerade").map((r) => decodeNftRule(r.family, r.exprs).verdict.kind)).toEqual(["masquerade", "masquerade"]);
  });

  test("decode → encode → decode gives the same rule (kernel dumps)", () => {
    for (const name of ["iptables-save-nat", "list-hostport", "list-masquerade"]) {
      for (const m of received("nft", name)) {
        const r = decodeRule(m);
        if (!r) continue;
        const again = newRuleRequest(r.family, r.table, r.chain, r.exprs, r.comment);
        const back = decodeRule({ ...m, payload: encodeMessage(again, 0).subarray(16) });
        expect(back && { ...back, handle: r.handle }).toEqual(r);
      }
    }
  });

  test("nft's own NEWRULE messages decode and re-encode byte for byte", () => {
    for (const s of scenarios("nft").filter((x) => x.name.startsWith("add-"))) {
      const m = batch(s.name).find((x) => x.type === nftType(NFT_MSG_NEWRULE));
      if (!m) continue;
      const r = decodeRule(m);
      expect(r).toBeDefined();
      if (!r) continue;
      const again = newRuleRequest(r.family, r.table, r.chain, r.exprs, r.comment);
      const listOf = (body: Uint8Array) => hex(attrList(body.subarray(4)).find((a) => a.type === 4)?.data ?? new Uint8Array());
      expect(listOf(again.body)).toBe(listOf(m.payload));
    }
  });

  test("userdata comment TLV round trip, names with braces and hashes included", () => {
    for (const c of ["x", "e{#x } # \"q\"", "é€"]) expect(readComment(writeComment(c))).toBe(c);
  });
});

/** nft's NEWRULE/NEWTABLE/NEWCHAIN message of a recorded `nft add …`. */
function sentChange(name: string, msg: number): Message | undefined {
  return batch(name).find((m) => m.type === nftType(msg));
}

const FAMILIES: Record<string, number> = { ip: NFPROTO_IPV4, ip6: 10, inet: NFPROTO_INET, bridge: 7 };

describe("what tscni writes equals what nft writes", () => {
  const adds = scenarios("nft").filter((s) => /^add-(masq|goto|jump|fib|dnat|portmap|spoof)/.test(s.name));

  test("every recorded rule shape is covered", () => expect(adds.length).toBe(15));

  test.each(adds.map((s) => [s.name, s.cmd] as const))("%s: %s", (name, cmd) => {
    // cmd: nft add rule <family> <table> <chain> <statement…> [comment '"…"']
    const m = /^nft add rule (\S+) (\S+) (\S+) (.*?)(?: comment '"(.*)"')?$/.exec(cmd);
    if (!m) throw new Error(`unexpected command ${cmd}`);
    const [, fam = "", table = "", chain = "", stmt = "", comment] = m;
    const rule = parseNftText(stmt);
    const exprs = compileRule(FAMILIES[fam] ?? -1, rule);
    expect(exprs).toBeDefined();
    // nft's own message decodes to the same typed rule, and that renders back to nft's statement.
    const theirRule = decodeRule(sentChange(name, NFT_MSG_NEWRULE) as Message);
    expect(theirRule && decodeNftRule(theirRule.family, theirRule.exprs)).toEqual(rule);
    expect(nftRuleText(rule, fam as "ip")).toBe(stmt);
    const mine = newRuleRequest(FAMILIES[fam] ?? -1, table, chain, exprs ?? [], comment);
    const theirs = sentChange(name, NFT_MSG_NEWRULE);
    expect(hex(mine.body)).toBe(hex(theirs?.payload ?? new Uint8Array()));
    expect(mine.flags).toBe((theirs?.flags ?? 0) | NLM_F_ACK);
  });

  test("tables and chains (comments, base chains, policy)", () => {
    const cases: [string, number, Request][] = [
      ["add-table-comment", NFT_MSG_NEWTABLE, newTableRequest(NFPROTO_IPV4, "cni_hostport", "CNI portmap plugin")],
      ["add-chain", NFT_MSG_NEWCHAIN, newChainRequest({ family: NFPROTO_IPV4, table: "cni_hostport", name: "hostports" })],
      ["add-chain-comment", NFT_MSG_NEWCHAIN, newChainRequest({ family: NFPROTO_INET, table: "cni_plugins_masquerade", name: "masq_checks", comment: "Masquerade traffic" })],
      [
        "add-base-chain",
        NFT_MSG_NEWCHAIN,
        newChainRequest({ family: NFPROTO_IPV4, table: "cni_hostport", name: "prerouting", ...hookSpec({ type: "nat", hook: "prerouting", priority: -100 }) }),
      ],
      [
        "add-base-chain-policy",
        NFT_MSG_NEWCHAIN,
        newChainRequest({ family: 7, table: "nat", name: "PREROUTING", ...hookSpec({ type: "filter", hook: "prerouting", priority: -300, policy: "accept" }) }),
      ],
    ];
    for (const [name, msg, mine] of cases) {
      const theirs = sentChange(name, msg);
      expect({ name, body: hex(mine.body), flags: mine.flags }).toEqual({ name, body: hex(theirs?.payload ?? new Uint8Array()), flags: (theirs?.flags ?? 0) | NLM_F_ACK });
    }
  });

  test("rules with no netlink form here (user conditions, a family that cannot carry them) are not compiled", () => {
    const conditions = { matches: [{ kind: "conditions", tokens: ["meta", "mark", "0x1"] }, { kind: "dst-local" }], verdict: { kind: "jump", chain: "x" } } as const;
    expect(compileRule(NFPROTO_IPV4, conditions)).toBeUndefined();
    expect(compileRule(7, { matches: [], verdict: { kind: "masquerade" } })).toBeUndefined();
    expect(compileRule(NFPROTO_IPV4, { src: { cidr: "fd00::1/128" }, matches: [], verdict: { kind: "masquerade" } })).toBeUndefined();
    expect(compileRule(NFPROTO_INET, { src: { cidr: "10.0.0.1/32" }, dst: { cidr: "fd00::1/128" }, matches: [], verdict: { kind: "masquerade" } })).toBeUndefined();
    expect(compileRule(NFPROTO_IPV4, { proto: "tcp", matches: [{ kind: "dport", port: 99999 }], verdict: { kind: "accept" } })).toBeUndefined();
    expect(compileRule(NFPROTO_IPV4, { matches: [{ kind: "comment", text: "x" }], verdict: { kind: "accept" } })).toBeUndefined();
  });
});
