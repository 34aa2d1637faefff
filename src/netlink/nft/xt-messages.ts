/**
 * The change messages iptables-nft 1.8.9 sends to build its tables (recorded in
 * test/fixtures/netlink/xt.json): the table by name only, user chains created exclusively, the
 * built-in chains as nat base chains with policy accept when first used, and rules carrying
 * NFTA_RULE_COMPAT (the `-p` protocol, for xt matches that check it). tscni adds NLM_F_ACK to
 * each so the batch reports which message failed.
 */
import type { Writer } from "../attrs.ts";
import { NLA_F_NESTED, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL } from "../constants.ts";
import type { Request } from "../message.ts";
import {
  NF_ACCEPT,
  NFT_MSG_NEWCHAIN,
  NFT_MSG_NEWRULE,
  NFT_MSG_NEWTABLE,
  NFTA_CHAIN_HOOK,
  NFTA_CHAIN_NAME,
  NFTA_CHAIN_POLICY,
  NFTA_CHAIN_TABLE,
  NFTA_CHAIN_TYPE,
  NFTA_HOOK_HOOKNUM,
  NFTA_HOOK_PRIORITY,
  NFTA_RULE_CHAIN,
  NFTA_RULE_COMPAT,
  NFTA_RULE_COMPAT_FLAGS,
  NFTA_RULE_COMPAT_PROTO,
  NFTA_RULE_EXPRESSIONS,
  NFTA_RULE_TABLE,
  NFTA_TABLE_NAME,
} from "./constants.ts";
import { be32Bytes, type Expr, writeExprs } from "./expr.ts";
import { request } from "./messages.ts";

/** The built-in chains of iptables' nat table: hook number and priority. */
export const NAT_BUILTINS: Readonly<Record<string, { readonly hooknum: number; readonly priority: number }>> = {
  PREROUTING: { hooknum: 0, priority: -100 },
  INPUT: { hooknum: 1, priority: 100 },
  OUTPUT: { hooknum: 3, priority: -100 },
  POSTROUTING: { hooknum: 4, priority: 100 },
};

export function xtTableRequest(family: number, table: string): Request {
  return request(NFT_MSG_NEWTABLE, family, NLM_F_CREATE | NLM_F_ACK, (w) => w.attrString(NFTA_TABLE_NAME, table));
}

export function xtUserChainRequest(family: number, table: string, chain: string): Request {
  return request(NFT_MSG_NEWCHAIN, family, NLM_F_EXCL | NLM_F_ACK, (w) => {
    w.attrString(NFTA_CHAIN_TABLE, table);
    w.attrString(NFTA_CHAIN_NAME, chain);
  });
}

/** A built-in chain of the nat table (`chain` must be one of NAT_BUILTINS). */
export function xtBaseChainRequest(family: number, table: string, chain: string): Request {
  const hook = NAT_BUILTINS[chain];
  if (hook === undefined) throw new RangeError(`${chain} is not a built-in nat chain`);
  return request(NFT_MSG_NEWCHAIN, family, NLM_F_CREATE | NLM_F_ACK, (w) => {
    w.attrString(NFTA_CHAIN_TABLE, table);
    w.attrString(NFTA_CHAIN_NAME, chain);
    w.attr(NFTA_CHAIN_HOOK | NLA_F_NESTED, (h) => {
      h.attrBytes(NFTA_HOOK_HOOKNUM, be32Bytes(hook.hooknum));
      h.attrBytes(NFTA_HOOK_PRIORITY, be32Bytes(hook.priority));
    });
    w.attrBytes(NFTA_CHAIN_POLICY, be32Bytes(NF_ACCEPT));
    w.attrString(NFTA_CHAIN_TYPE, "nat");
  });
}

function compat(w: Writer, proto: number): void {
  w.attr(NFTA_RULE_COMPAT | NLA_F_NESTED, (c) => {
    c.attrBytes(NFTA_RULE_COMPAT_PROTO, be32Bytes(proto));
    c.attrBytes(NFTA_RULE_COMPAT_FLAGS, be32Bytes(0));
  });
}

/** A rule appended to the chain, or (`first`) put before its first rule, as `-I chain 1` does. */
export function xtRuleRequest(family: number, table: string, chain: string, rule: { readonly exprs: readonly Expr[]; readonly proto: number }, first = false): Request {
  return request(NFT_MSG_NEWRULE, family, NLM_F_CREATE | (first ? 0 : NLM_F_APPEND) | NLM_F_ACK, (w) => {
    w.attrString(NFTA_RULE_TABLE, table);
    w.attrString(NFTA_RULE_CHAIN, chain);
    w.attr(NFTA_RULE_EXPRESSIONS | NLA_F_NESTED, (l) => writeExprs(l, rule.exprs));
    compat(w, rule.proto);
  });
}
