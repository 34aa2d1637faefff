/**
 * The change messages iptables-nft 1.8.9 sends to build its tables (recorded in
 * test/fixtures/netlink/xt.json): the table by name only, user chains created exclusively, the
 * built-in chains as nat base chains with policy accept when first used, and rules carrying
 * NFTA_RULE_COMPAT (the `-p` protocol, for xt matches that check it). tscni adds NLM_F_ACK to
 * each so the batch reports which message failed.
 */
import { NLA_F_NESTED, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST } from "../constants.ts";
import type { Request } from "../message.ts";
import {
  NF_ACCEPT,
  NFNETLINK_V0,
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
import { be32Bytes, type Expr } from "./expr.ts";
import { exprWire } from "./expr-wire.ts";
import { flatRequest, nameAttr, putAttrHeader } from "./flat-request.ts";
import { nftType, request } from "./messages.ts";

/** The built-in chains of iptables' nat table: hook number and priority. */
export const NAT_BUILTINS: Readonly<Record<string, { readonly hooknum: number; readonly priority: number }>> = {
  PREROUTING: { hooknum: 0, priority: -100 },
  INPUT: { hooknum: 1, priority: 100 },
  OUTPUT: { hooknum: 3, priority: -100 },
  POSTROUTING: { hooknum: 4, priority: 100 },
};

export function xtTableRequest(family: number, table: string): Request {
  return flatRequest(NFT_MSG_NEWTABLE, family, NLM_F_CREATE | NLM_F_ACK, [nameAttr(NFTA_TABLE_NAME, table)]);
}

export function xtUserChainRequest(family: number, table: string, chain: string): Request {
  return flatRequest(NFT_MSG_NEWCHAIN, family, NLM_F_EXCL | NLM_F_ACK, [nameAttr(NFTA_CHAIN_TABLE, table), nameAttr(NFTA_CHAIN_NAME, chain)]);
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

/** NFTA_RULE_TABLE and NFTA_RULE_CHAIN, written once per chain (a call adds most rules to one). */
const ruleHeads = new Map<string, Uint8Array>();

function ruleHead(table: string, chain: string): Uint8Array {
  const key = `${table}\0${chain}`;
  let head = ruleHeads.get(key);
  if (head === undefined) {
    const t = nameAttr(NFTA_RULE_TABLE, table).value;
    const c = nameAttr(NFTA_RULE_CHAIN, chain).value;
    const tAligned = (4 + t.byteLength + 3) & ~3;
    head = new Uint8Array(tAligned + ((4 + c.byteLength + 3) & ~3));
    putAttrHeader(head, 0, 4 + t.byteLength, NFTA_RULE_TABLE);
    head.set(t, 4);
    putAttrHeader(head, tAligned, 4 + c.byteLength, NFTA_RULE_CHAIN);
    head.set(c, tAligned + 4);
    ruleHeads.set(key, head);
  }
  return head;
}

/** NFTA_RULE_COMPAT: nested PROTO (be32, the last byte patched per rule) and FLAGS (0). */
const COMPAT_LEN = 20;

/**
 * A rule appended to the chain, or (`first`) put before its first rule, as `-I chain 1` does.
 * Written straight into one buffer of the right size (nfgenmsg, table, chain, the expressions'
 * bytes, compat): the same bytes `request()` and Writer would produce, without their
 * per-attribute closures.
 */
export function xtRuleRequest(family: number, table: string, chain: string, rule: { readonly exprs: readonly Expr[]; readonly proto: number }, first = false): Request {
  const head = ruleHead(table, chain);
  const exprs = rule.exprs;
  const wires: Uint8Array[] = [];
  let exprsLen = 4;
  for (let i = 0; i < exprs.length; i++) {
    const b = exprWire(exprs[i] as Expr);
    wires.push(b);
    exprsLen += b.byteLength;
  }
  const body = new Uint8Array(4 + head.byteLength + exprsLen + COMPAT_LEN);
  body[0] = family;
  body[1] = NFNETLINK_V0;
  body.set(head, 4);
  let off = 4 + head.byteLength;
  putAttrHeader(body, off, exprsLen, NFTA_RULE_EXPRESSIONS | NLA_F_NESTED);
  off += 4;
  for (let i = 0; i < wires.length; i++) {
    const b = wires[i] as Uint8Array;
    body.set(b, off);
    off += b.byteLength;
  }
  putAttrHeader(body, off, COMPAT_LEN, NFTA_RULE_COMPAT | NLA_F_NESTED);
  putAttrHeader(body, off + 4, 8, NFTA_RULE_COMPAT_PROTO);
  const proto = rule.proto >>> 0;
  body[off + 8] = proto >>> 24;
  body[off + 9] = (proto >>> 16) & 0xff;
  body[off + 10] = (proto >>> 8) & 0xff;
  body[off + 11] = proto & 0xff;
  putAttrHeader(body, off + 12, 8, NFTA_RULE_COMPAT_FLAGS);
  return { type: nftType(NFT_MSG_NEWRULE), flags: NLM_F_REQUEST | NLM_F_CREATE | (first ? 0 : NLM_F_APPEND) | NLM_F_ACK, body };
}
