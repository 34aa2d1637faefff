/**
 * tscni's iptables-layout messages against the batches iptables-nft 1.8.9 sent for the same
 * restore input (test/fixtures/netlink/xt.json, recorded by xt-record.ts): every rule's body —
 * expressions, xt info blobs, counter, compat protocol — and every table and chain body are the
 * same bytes; only NLM_F_ACK is added. Each recorded rule decodes into the typed model, which
 * spells the restore line's tokens and encodes back to the recorded bytes.
 */
import { describe, expect, test } from "bun:test";
import { splitRestoreLine } from "../../../src/firewall/quote.ts";
import { encodeXtRule } from "../../../src/firewall/xt-encode.ts";
import { type Rule, ruleArgs } from "../../../src/firewall/rule.ts";
import { decodeXtRule } from "../../../src/firewall/xt-decode.ts";
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
      const model = decodeXtRule(nfproto, decodeRule(sent[i] as Message)?.exprs ?? []);
      expect(ruleArgs(family, model)).toEqual(args);
      const rule = encodeXtRule(family, model);
      expect(rule).toBeDefined();
      if (rule === undefined) return;
      same(xtRuleRequest(nfproto, "nat", chain, rule, first), sent[i] as Message);
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
  const accept = { kind: "accept" } as const;
  const x = { kind: "jump", chain: "X" } as const;
  test.each<[Rule]>([
    [{ iif: { name: "eth0" }, matches: [], verdict: accept }],
    [{ proto: "tcp", matches: [{ kind: "conditions", tokens: ["-m", "tcp", "--sport", "1"] }], verdict: accept }],
    [{ proto: "icmp", matches: [], verdict: accept }],
    [{ src: { cidr: "0.0.0.0/0" }, matches: [], verdict: accept }],
    [{ src: { cidr: "fd00::/64" }, matches: [], verdict: accept }],
    [{ matches: [{ kind: "comment", text: "x".repeat(256) }], verdict: accept }],
    [{ proto: "tcp", matches: [{ kind: "dports", ports: Array.from({ length: 16 }, (_, i) => i + 1) }], verdict: x }],
    [{ matches: [{ kind: "dports", ports: [80] }], verdict: x }],
    [{ matches: [{ kind: "dport", port: 80 }], verdict: x }],
    [{ matches: [], verdict: { kind: "dnat", addr: "fd00::1", port: 80 } }],
    [{ matches: [], verdict: { kind: "jump", chain: "MASQUERADE" } }],
    [{ matches: [], verdict: { kind: "goto", chain: "X" } }],
    [{ matches: [{ kind: "mark", value: 1, mask: 0xffffffff }], verdict: x }],
    [{ matches: [{ kind: "foreign", tokens: ["?meta"] }], verdict: x }],
    [{ matches: [], verdict: { kind: "foreign", tokens: ["-j", "SNAT"] } }],
  ])("%j", (rule) => {
    expect(encodeXtRule(4, rule)).toBeUndefined();
  });
});
