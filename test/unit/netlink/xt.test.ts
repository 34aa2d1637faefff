/**
 * tscni's iptables-layout messages against the batches iptables-nft 1.8.9 sent for the same
 * restore input (test/fixtures/netlink/xt.json, recorded by xt-record.ts): every rule's body —
 * expressions, xt info blobs, counter, compat protocol — and every table and chain body are the
 * same bytes; only NLM_F_ACK is added. Then the kernel-side decoder reads each rule back as the
 * tokens the restore line had.
 */
import { describe, expect, test } from "bun:test";
import { splitRestoreLine } from "../../../src/firewall/quote.ts";
import { encodeXtRule } from "../../../src/firewall/xt-encode.ts";
import { xtRuleArgs } from "../../../src/firewall/xt-decode.ts";
import { NLM_F_ACK, type Message } from "../../../src/netlink/index.ts";
import type { Request } from "../../../src/netlink/message.ts";
import { NFPROTO_IPV4, NFPROTO_IPV6, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE, NFT_MSG_NEWTABLE } from "../../../src/netlink/nft/constants.ts";
import { decodeChain, decodeRule, nftType } from "../../../src/netlink/nft/messages.ts";
import { NAT_BUILTINS, xtBaseChainRequest, xtRuleRequest, xtTableRequest, xtUserChainRequest } from "../../../src/netlink/nft/xt-messages.ts";
import { MASQ_V4, MASQ_V6, PORTMAP_V4, PORTMAP_V4_SECOND, PORTMAP_V6 } from "../../fixtures/netlink/xt-record.ts";
import { sentBatch } from "./golden.ts";

const batch = (name: string): Message[] => sentBatch("xt", name);

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function same(mine: Request, theirs: Message): void {
  expect(hex(mine.body)).toBe(hex(theirs.payload));
  expect(mine.flags).toBe(theirs.flags | NLM_F_ACK);
}

/** The restore lines that add rules, as [chain, tokens, first]. */
function ruleLines(lines: readonly string[]): [string, string[], boolean][] {
  return lines
    .filter((l) => l.startsWith("-A ") || l.startsWith("-I "))
    .map((l) => {
      const [cmd, chain = "", ...rest] = splitRestoreLine(l);
      return cmd === "-I" ? [chain, rest.slice(1), true] : [chain, rest, false];
    });
}

const CASES = [
  ["masq-v4-fresh", 4, MASQ_V4],
  ["masq-v6-fresh", 6, MASQ_V6],
  ["portmap-v4-fresh", 4, PORTMAP_V4],
  ["portmap-v6-fresh", 6, PORTMAP_V6],
  ["portmap-v4-second", 4, PORTMAP_V4_SECOND],
] as const;

describe("iptables-layout messages equal iptables-nft's", () => {
  test.each(CASES)("%s: every rule body", (name, family, lines) => {
    const nfproto = family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
    const sent = batch(name).filter((m) => m.type === nftType(NFT_MSG_NEWRULE));
    const want = ruleLines(lines);
    expect(sent.length).toBe(want.length);
    want.forEach(([chain, args, first], i) => {
      const rule = encodeXtRule(family, args);
      expect(rule).toBeDefined();
      if (rule === undefined) return;
      same(xtRuleRequest(nfproto, "nat", chain, rule, first), sent[i] as Message);
      // And the reader spells the kernel's form back as the line's tokens.
      expect(xtRuleArgs(nfproto, decodeRule(sent[i] as Message)?.exprs ?? [])).toEqual(args);
    });
  });

  test.each(CASES)("%s: table and chain bodies", (name, family) => {
    const nfproto = family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
    const msgs = batch(name);
    // iptables-nft declares the table before each object; on a node that has it, not at all.
    const table = msgs.find((m) => m.type === nftType(NFT_MSG_NEWTABLE));
    if (name.endsWith("-fresh")) same(xtTableRequest(nfproto, "nat"), table as Message);
    else expect(table).toBeUndefined();
    const chains = msgs.filter((m) => m.type === nftType(NFT_MSG_NEWCHAIN));
    expect(chains.length).toBeGreaterThan(0);
    for (const m of chains) {
      const c = decodeChain(m);
      const chain = c?.name ?? "";
      same(chain in NAT_BUILTINS ? xtBaseChainRequest(nfproto, "nat", chain) : xtUserChainRequest(nfproto, "nat", chain), m);
    }
  });
});

describe("shapes the encoder refuses (the call then goes through iptables-restore)", () => {
  test.each([
    [["-i", "eth0", "-j", "ACCEPT"]],
    [["-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "DNAT", "--to-destination", "10.0.0.1:80", "--random"]],
    [["!", "-p", "tcp", "-j", "ACCEPT"]],
    [["-s", "0.0.0.0/0", "-j", "ACCEPT"]],
    [["-s", "fd00::/64", "-j", "ACCEPT"]],
    [["-m", "comment", "--comment", "x".repeat(256), "-j", "ACCEPT"]],
    [["-p", "tcp", "-m", "multiport", "--dports", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "-j", "X"]],
    [["-m", "multiport", "--dports", "80", "-j", "X"]],
    [["-j", "SNAT"]],
    [["-j", "ACCEPT", "-m", "comment", "--comment", "late"]],
  ])("%j", (args) => {
    expect(encodeXtRule(4, args)).toBeUndefined();
  });
});
