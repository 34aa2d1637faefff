/**
 * nf_tables requests and replies: dumps of tables, chains and rules (kernel-filtered by table, rules
 * also by chain),
 * the generation id, and the change messages a batch carries. Every body starts with
 * struct nfgenmsg { u8 family; u8 version; be16 res_id; }.
 */
import { attrMap, attrs, Writer } from "../attrs.ts";
import { NLA_F_NESTED, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REQUEST } from "../constants.ts";
import type { Message, Request } from "../message.ts";
import {
  NFNETLINK_V0,
  NFNL_SUBSYS_NFTABLES,
  NFT_MSG_DELCHAIN,
  NFT_MSG_DELTABLE,
  NFT_MSG_DELRULE,
  NFT_MSG_GETCHAIN,
  NFT_MSG_GETGEN,
  NFT_MSG_GETRULE,
  NFT_MSG_GETTABLE,
  NFT_MSG_NEWCHAIN,
  NFT_MSG_NEWGEN,
  NFT_MSG_NEWRULE,
  NFT_MSG_NEWTABLE,
  NFTA_CHAIN_HANDLE,
  NFTA_CHAIN_HOOK,
  NFTA_CHAIN_NAME,
  NFTA_CHAIN_POLICY,
  NFTA_CHAIN_TABLE,
  NFTA_CHAIN_TYPE,
  NFTA_CHAIN_USERDATA,
  NFTA_GEN_ID,
  NFTA_HOOK_HOOKNUM,
  NFTA_HOOK_PRIORITY,
  NFTA_RULE_CHAIN,
  NFTA_RULE_EXPRESSIONS,
  NFTA_RULE_HANDLE,
  NFTA_RULE_TABLE,
  NFTA_RULE_USERDATA,
  NFTA_TABLE_FLAGS,
  NFTA_TABLE_HANDLE,
  NFTA_TABLE_NAME,
  NFTA_TABLE_USERDATA,
} from "./constants.ts";
import { be32, be32Bytes, be32s, be64, cString, decodeExprs, decodeLastExpr, type Expr, writeExprs } from "./expr.ts";
import { flatRequest, nameAttr, u64Attr } from "./flat-request.ts";
import { readComment, writeComment } from "./udata.ts";

export const nftType = (msg: number): number => (NFNL_SUBSYS_NFTABLES << 8) | msg;

export function nfgenmsg(family: number, resId = 0): Uint8Array {
  return Uint8Array.of(family, NFNETLINK_V0, (resId >> 8) & 0xff, resId & 0xff);
}

export function request(msg: number, family: number, flags: number, fill?: (w: Writer) => void): Request {
  const w = new Writer();
  w.bytes(nfgenmsg(family));
  fill?.(w);
  return { type: nftType(msg), flags: NLM_F_REQUEST | flags, body: w.finish() };
}

// The reads and the deletes carry flat attributes only: flat-request.ts writes them.
export const getGenRequest = (): Request => flatRequest(NFT_MSG_GETGEN, 0, 0);
/** One table by name (no dump): ENOENT when the family has no such table. */
export const tableGetRequest = (family: number, name: string): Request => flatRequest(NFT_MSG_GETTABLE, family, 0, [nameAttr(NFTA_TABLE_NAME, name)]);
export const chainDumpRequest = (family: number, table: string): Request => flatRequest(NFT_MSG_GETCHAIN, family, 0, [nameAttr(NFTA_CHAIN_TABLE, table)]);
/** One chain by name (no dump): ENOENT when the table has no such chain. */
export const chainGetRequest = (family: number, table: string, chain: string): Request =>
  flatRequest(NFT_MSG_GETCHAIN, family, 0, [nameAttr(NFTA_CHAIN_TABLE, table), nameAttr(NFTA_CHAIN_NAME, chain)]);
/** One rule by handle (no dump): ENOENT when the chain holds no rule with that handle. */
export const ruleGetRequest = (family: number, table: string, chain: string, handle: bigint): Request =>
  flatRequest(NFT_MSG_GETRULE, family, 0, [nameAttr(NFTA_RULE_TABLE, table), nameAttr(NFTA_RULE_CHAIN, chain), u64Attr(NFTA_RULE_HANDLE, handle)]);
/** With `chain`, the kernel dumps only that chain's rules (nothing when the chain is missing). */
export const ruleDumpRequest = (family: number, table: string, chain?: string): Request =>
  flatRequest(NFT_MSG_GETRULE, family, 0, chain === undefined ? [nameAttr(NFTA_RULE_TABLE, table)] : [nameAttr(NFTA_RULE_TABLE, table), nameAttr(NFTA_RULE_CHAIN, chain)]);

export function decodeGenId(m: Message): number | undefined {
  if (m.type !== nftType(NFT_MSG_NEWGEN)) return undefined;
  for (const a of attrs(m.payload.subarray(4))) if (a.type === NFTA_GEN_ID) return be32(a.data);
  return undefined;
}

export interface NftTable {
  readonly family: number;
  readonly name: string;
  readonly handle: bigint;
  readonly flags: number;
  readonly comment?: string;
}

export interface NftHook {
  readonly hooknum: number;
  readonly priority: number;
}

export interface NftChain {
  readonly family: number;
  readonly table: string;
  readonly name: string;
  readonly handle: bigint;
  readonly hook?: NftHook;
  readonly type?: string;
  readonly policy?: number;
  readonly comment?: string;
}

export interface NftRule {
  readonly family: number;
  readonly table: string;
  readonly chain: string;
  readonly handle: bigint;
  readonly exprs: readonly Expr[];
  /** The last expression alone, decoded without the others (an iptables rule's verdict). */
  readonly lastExpr?: Expr;
  /** The comment from the rule's userdata (nft `comment "…"`). */
  readonly comment?: string;
}

/**
 * The message's top-level attributes by type (a repeated type keeps the last, as nla_parse does):
 * an array indexed by type, walked without an attribute object each, since dumps decode many.
 */
function top(m: Message, msg: number): (Uint8Array | undefined)[] | undefined {
  if (m.type !== nftType(msg) || m.payload.byteLength < 4) return undefined;
  const out: (Uint8Array | undefined)[] = [];
  const buf = m.payload;
  const n = buf.byteLength;
  let off = 4;
  while (off + 4 <= n) {
    const len = (buf[off] ?? 0) | ((buf[off + 1] ?? 0) << 8);
    if (len < 4 || off + len > n) break;
    out[((buf[off + 2] ?? 0) | ((buf[off + 3] ?? 0) << 8)) & 0x3fff] = buf.subarray(off + 4, off + len);
    off += (len + 3) & ~3;
  }
  return out;
}

export function decodeTable(m: Message): NftTable | undefined {
  const t = top(m, NFT_MSG_NEWTABLE);
  if (!t) return undefined;
  const comment = readComment(t[NFTA_TABLE_USERDATA]);
  return {
    family: m.payload[0] ?? 0,
    name: cString(t[NFTA_TABLE_NAME]) ?? "",
    handle: be64(t[NFTA_TABLE_HANDLE]) ?? 0n,
    flags: be32(t[NFTA_TABLE_FLAGS]) ?? 0,
    ...(comment !== undefined ? { comment } : {}),
  };
}

export function decodeChain(m: Message): NftChain | undefined {
  const t = top(m, NFT_MSG_NEWCHAIN);
  if (!t) return undefined;
  const hookAttr = t[NFTA_CHAIN_HOOK];
  let hook: NftHook | undefined;
  if (hookAttr !== undefined) {
    const h = attrMap(hookAttr);
    hook = { hooknum: be32(h.get(NFTA_HOOK_HOOKNUM)) ?? 0, priority: be32s(h.get(NFTA_HOOK_PRIORITY)) ?? 0 };
  }
  const type = cString(t[NFTA_CHAIN_TYPE]);
  const policy = be32(t[NFTA_CHAIN_POLICY]);
  const comment = readComment(t[NFTA_CHAIN_USERDATA]);
  return {
    family: m.payload[0] ?? 0,
    table: cString(t[NFTA_CHAIN_TABLE]) ?? "",
    name: cString(t[NFTA_CHAIN_NAME]) ?? "",
    handle: be64(t[NFTA_CHAIN_HANDLE]) ?? 0n,
    ...(hook ? { hook } : {}),
    ...(type !== undefined ? { type } : {}),
    ...(policy !== undefined ? { policy } : {}),
    ...(comment !== undefined ? { comment } : {}),
  };
}

export function decodeRule(m: Message): NftRule | undefined {
  const t = top(m, NFT_MSG_NEWRULE);
  if (!t) return undefined;
  const list = t[NFTA_RULE_EXPRESSIONS];
  const comment = readComment(t[NFTA_RULE_USERDATA]);
  // Expressions are decoded on first use: a dump of a big table (kube-proxy, hundreds of pods)
  // holds thousands of rules, and a call looks at the expressions of only a few.
  let exprs: readonly Expr[] | undefined;
  return {
    family: m.payload[0] ?? 0,
    table: cString(t[NFTA_RULE_TABLE]) ?? "",
    chain: cString(t[NFTA_RULE_CHAIN]) ?? "",
    handle: be64(t[NFTA_RULE_HANDLE]) ?? 0n,
    get exprs(): readonly Expr[] {
      exprs ??= list ? decodeExprs(list) : [];
      return exprs;
    },
    get lastExpr(): Expr | undefined {
      return exprs ? exprs[exprs.length - 1] : list && decodeLastExpr(list);
    },
    ...(comment !== undefined ? { comment } : {}),
  };
}

// ---- changes (only ever sent inside a batch) ----

export interface ChainSpec {
  readonly family: number;
  readonly table: string;
  readonly name: string;
  readonly hook?: NftHook;
  readonly type?: string;
  readonly policy?: number;
  readonly comment?: string;
}

/** Attribute order and flags as nft 1.0.6 sends them (recorded): an existing table is fine. */
export function newTableRequest(family: number, name: string, comment?: string): Request {
  return request(NFT_MSG_NEWTABLE, family, NLM_F_ACK, (w) => {
    w.attrString(NFTA_TABLE_NAME, name);
    w.attrBytes(NFTA_TABLE_FLAGS, be32Bytes(0));
    if (comment !== undefined) w.attrBytes(NFTA_TABLE_USERDATA, writeComment(comment));
  });
}

export function newChainRequest(c: ChainSpec): Request {
  return request(NFT_MSG_NEWCHAIN, c.family, NLM_F_CREATE | NLM_F_ACK, (w) => {
    w.attrString(NFTA_CHAIN_TABLE, c.table);
    w.attrString(NFTA_CHAIN_NAME, c.name);
    if (c.type !== undefined) w.attrString(NFTA_CHAIN_TYPE, c.type);
    if (c.policy !== undefined) w.attrBytes(NFTA_CHAIN_POLICY, be32Bytes(c.policy));
    if (c.hook) {
      const hook = c.hook;
      w.attr(NFTA_CHAIN_HOOK | NLA_F_NESTED, (h) => {
        h.attrBytes(NFTA_HOOK_HOOKNUM, be32Bytes(hook.hooknum));
        h.attrBytes(NFTA_HOOK_PRIORITY, be32Bytes(hook.priority));
      });
    }
    if (c.comment !== undefined) w.attrBytes(NFTA_CHAIN_USERDATA, writeComment(c.comment));
  });
}

export function newRuleRequest(family: number, table: string, chain: string, exprs: readonly Expr[], comment?: string): Request {
  return request(NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, (w) => {
    w.attrString(NFTA_RULE_TABLE, table);
    w.attrString(NFTA_RULE_CHAIN, chain);
    w.attr(NFTA_RULE_EXPRESSIONS | NLA_F_NESTED, (l) => writeExprs(l, exprs));
    if (comment !== undefined) w.attrBytes(NFTA_RULE_USERDATA, writeComment(comment));
  });
}

/** One rule by handle. */
export function delRuleRequest(family: number, table: string, chain: string, handle: bigint): Request {
  return flatRequest(NFT_MSG_DELRULE, family, NLM_F_ACK, [nameAttr(NFTA_RULE_TABLE, table), nameAttr(NFTA_RULE_CHAIN, chain), u64Attr(NFTA_RULE_HANDLE, handle)]);
}

/** Every rule of a chain (`nft flush chain`, `iptables -F`). */
export function flushChainRequest(family: number, table: string, chain: string): Request {
  return flatRequest(NFT_MSG_DELRULE, family, NLM_F_ACK, [nameAttr(NFTA_RULE_TABLE, table), nameAttr(NFTA_RULE_CHAIN, chain)]);
}

/** The table and everything in it (the family is never NFPROTO_UNSPEC: that would be every table). */
export function delTableRequest(family: number, name: string): Request {
  return flatRequest(NFT_MSG_DELTABLE, family, NLM_F_ACK, [nameAttr(NFTA_TABLE_NAME, name)]);
}

export function delChainRequest(family: number, table: string, chain: string): Request {
  return flatRequest(NFT_MSG_DELCHAIN, family, NLM_F_ACK, [nameAttr(NFTA_CHAIN_TABLE, table), nameAttr(NFTA_CHAIN_NAME, chain)]);
}
