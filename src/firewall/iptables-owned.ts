/**
 * Which rules in and around the plugins' iptables chains are the plugins' own (tscni's or the
 * reference's), judged from each rule alone, so ADD, CHECK, DEL, gc and doctor draw the line in
 * the same place without keeping state. Everything else there is foreign: another tool put it in
 * (or jumps into our chain), or it has a part no decoder knows. Foreign rules are never deleted or
 * rewritten; the chain they sit in, and the jumps that reach it, stay with them.
 */
import { DNAT_CHAIN_PREFIX, MASQ_CHAIN, masqChainName, SHARED } from "./names.ts";
import { NODE_MASQ_CHAIN } from "./node-masq.ts";
import type { Rule } from "./rule.ts";

const L4 = new Set(["tcp", "udp", "sctp", "dccp"]);
const GO_STRING = '"(?:[^"\\\\]|\\\\.)*"';
const MASQ_COMMENT = new RegExp(`^name: (${GO_STRING}) id: (${GO_STRING})$`);
/** What every portmap entry comment starts with, whatever the network (portmapDnatCommentPrefix). */
const DNAT_COMMENT_START = 'dnat name: "';

/** A part of the rule no decoder knows (an unknown match or target, or the user's conditions as printed back). */
export function hasUnknownPart(rule: Rule): boolean {
  return rule.verdict.kind === "foreign" || rule.matches.some((m) => m.kind === "foreign");
}

export function commentOf(rule: Rule): string | undefined {
  for (const m of rule.matches) if (m.kind === "comment") return m.text;
  return undefined;
}

/** The masquerade chain a bridge ipMasq comment (`name: "<net>" id: "<id>"`) belongs to. */
function masqChainOfComment(comment: string | undefined): string | undefined {
  const m = comment === undefined ? null : MASQ_COMMENT.exec(comment);
  if (m === null) return undefined;
  try {
    return masqChainName(JSON.parse(m[1] ?? "") as string, JSON.parse(m[2] ?? "") as string);
  } catch {
    return undefined;
  }
}

/**
 * Whether a rule inside `chain` is one the plugins write there. A masquerade chain holds two
 * rules, both commented with the attachment whose hash names the chain: accept its subnet,
 * masquerade the rest (but multicast). A portmap DNAT chain holds, per mapping, port matches
 * that jump to the mark chain or DNAT to the container. The agent's node masquerade chain holds
 * its returns and one masquerade. Any other chain (legacy SNAT chains): every rule tscni can read.
 */
export function ownedInChain(chain: string, rule: Rule): boolean {
  if (hasUnknownPart(rule) || rule.iif !== undefined || rule.oif !== undefined) return false;
  const v = rule.verdict.kind;
  if (MASQ_CHAIN.test(chain)) {
    const [only, ...more] = rule.matches;
    return more.length === 0 && only?.kind === "comment" && rule.proto === undefined && rule.src === undefined && (v === "accept" || v === "masquerade") && masqChainOfComment(only.text) === chain;
  }
  if (chain.startsWith(DNAT_CHAIN_PREFIX)) {
    const [only, ...more] = rule.matches;
    return more.length === 0 && only?.kind === "dport" && L4.has(rule.proto ?? "") && (v === "dnat" || v === "jump");
  }
  if (chain === NODE_MASQ_CHAIN) {
    // The agent's: return to the cluster's CIDRs, masquerade the rest but multicast; no comment.
    return rule.matches.length === 0 && rule.proto === undefined && rule.src === undefined && rule.dst !== undefined && (v === "return" || v === "masquerade");
  }
  return true;
}

/**
 * Whether a rule of `from` that jumps to `target` is the plugins' entry rule for it: a masquerade
 * chain is entered from POSTROUTING by a rule carrying its attachment's comment, a DNAT chain from
 * CNI-HOSTPORT-DNAT by one carrying portmap's comment (the user's conditions may sit beside it),
 * the agent's chain from POSTROUTING by a source match alone.
 * Jumps to any other chain: every rule tscni can read.
 */
export function ownedJump(from: string, target: string, rule: Rule): boolean {
  if (MASQ_CHAIN.test(target)) return from === "POSTROUTING" && !hasUnknownPart(rule) && masqChainOfComment(commentOf(rule)) === target;
  if (target.startsWith(DNAT_CHAIN_PREFIX)) return from === SHARED.hostportDnat && (commentOf(rule)?.startsWith(DNAT_COMMENT_START) ?? false);
  if (target === NODE_MASQ_CHAIN) return from === "POSTROUTING" && rule.matches.length === 0 && rule.src !== undefined && rule.dst === undefined && rule.proto === undefined;
  return !hasUnknownPart(rule);
}
