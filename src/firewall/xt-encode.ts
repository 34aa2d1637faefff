/**
 * An iptables-layout rule (typed, rule.ts) as the nf_tables expressions iptables-nft 1.8.9 writes
 * for it, so a rule tscni adds in-process is the rule `iptables-restore` would have added: same
 * expressions, same xt info blobs, a counter, and the compat protocol. User conditions (and a
 * foreign part) have no in-process form: undefined, and the call goes through iptables-restore.
 */
import { parseCIDRLiteral, parseIPLiteral, scanV4, scanV4Cidr } from "../ip/index.ts";
import {
  NF_ACCEPT,
  NFT_CMP_EQ,
  NFT_CMP_NEQ,
  NFT_JUMP,
  NFT_META_L4PROTO,
  NFT_META_MARK,
  NFT_PAYLOAD_NETWORK_HEADER,
  NFT_PAYLOAD_TRANSPORT_HEADER,
  NFT_RETURN,
} from "../netlink/nft/constants.ts";
import type { Expr } from "../netlink/nft/expr.ts";
import {
  addrtypeDstLocalInfo,
  be16,
  bitwiseMask,
  cmp,
  commentInfo,
  counter,
  dccpDportInfo,
  dnatInfo,
  markTargetInfo,
  masqueradeInfo,
  metaLoad,
  multiportDportsInfo,
  payloadLoad,
  prefixMatch,
  sctpDportInfo,
  u32le,
  verdict,
  xtMatch,
  xtTarget,
} from "../netlink/nft/xt.ts";
import { every } from "../plain-array.ts";
import type { Family } from "./model.ts";
import type { Match, Prefix, Rule, Verdict } from "./rule.ts";

/** A rule ready for NFT_MSG_NEWRULE: its expressions and the NFTA_RULE_COMPAT protocol (0: none). */
export interface XtRule {
  readonly exprs: readonly Expr[];
  readonly proto: number;
}

const L4: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, dccp: 33 };
const CHAIN = /^[A-Za-z0-9_.-]{1,28}$/;
const BUILTIN_TARGETS = new Set(["ACCEPT", "DROP", "RETURN", "QUEUE", "MASQUERADE", "DNAT", "SNAT", "MARK"]);

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;
const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

function addrBytes(family: Family, cidr: string): { bytes: Uint8Array; prefix: number } | undefined {
  const v4 = scanV4Cidr(cidr);
  if (v4 !== undefined) return family === 4 && v4.prefix !== 0 ? { bytes: new Uint8Array(v4.octets), prefix: v4.prefix } : undefined;
  const c = parseCIDRLiteral(cidr);
  if (c === undefined || (c.ip.kind() === "ipv6") !== (family === 6) || c.prefix === 0) return undefined;
  return { bytes: new Uint8Array(c.ip.toByteArray()), prefix: c.prefix };
}

// Rules of one call repeat their addresses, protocols, ports and comments: their expressions are
// built (and their bytes encoded, exprWire) once per process; expressions are immutable.
const prefixes = new Map<string, readonly Expr[] | null>();
const protoCmps = new Map<number, Expr>();
const portCmps = new Map<number, Expr>();
const comments = new Map<string, Expr | null>();
let dstLocal: Expr | undefined;

function prefix(family: Family, p: Prefix, at: "src" | "dst"): readonly Expr[] | undefined {
  // Fixed-width fields before the text: no two prefixes share a key.
  const key = `${family}${at}${p.not ? 1 : 0}${p.cidr}`;
  let out = prefixes.get(key);
  if (out === undefined) {
    const a = addrBytes(family, p.cidr);
    const offset = family === 6 ? (at === "src" ? 8 : 24) : at === "src" ? 12 : 16;
    out = a === undefined ? null : prefixMatch(NFT_PAYLOAD_NETWORK_HEADER, offset, family === 6 ? 16 : 4, p.not ? NFT_CMP_NEQ : NFT_CMP_EQ, a.bytes, a.prefix);
    prefixes.set(key, out);
  }
  return out ?? undefined;
}

function protoCmp(proto: number): Expr {
  let e = protoCmps.get(proto);
  if (e === undefined) {
    e = cmp(NFT_CMP_EQ, Uint8Array.of(proto));
    protoCmps.set(proto, e);
  }
  return e;
}

function portCmp(port: number): Expr {
  let e = portCmps.get(port);
  if (e === undefined) {
    e = cmp(NFT_CMP_EQ, be16(port));
    portCmps.set(port, e);
  }
  return e;
}

function comment(text: string): Expr | undefined {
  let e = comments.get(text);
  if (e === undefined) {
    const info = commentInfo(text);
    e = info === undefined ? null : xtMatch("comment", 0, info);
    comments.set(text, e);
  }
  return e ?? undefined;
}

function target(family: Family, v: Verdict): Expr | undefined {
  switch (v.kind) {
    case "accept":
      return verdict(NF_ACCEPT);
    case "return":
      return verdict(NFT_RETURN);
    case "masquerade":
      return xtTarget("MASQUERADE", 0, masqueradeInfo(family === 6));
    case "dnat": {
      const octets: number[] = [];
      if (scanV4(v.addr, v.addr.length, octets)) return family === 4 && isPort(v.port) ? xtTarget("DNAT", 2, dnatInfo(new Uint8Array(octets), v.port)) : undefined;
      const a = parseIPLiteral(v.addr);
      if (a === undefined || (a.kind() === "ipv6") !== (family === 6) || !isPort(v.port)) return undefined;
      return xtTarget("DNAT", 2, dnatInfo(new Uint8Array(a.toByteArray()), v.port));
    }
    case "mark-set":
      return isU32(v.value) && isU32(v.mask) ? xtTarget("MARK", 2, markTargetInfo(v.value, v.mask)) : undefined;
    case "jump":
      return CHAIN.test(v.chain) && !BUILTIN_TARGETS.has(v.chain) ? verdict(NFT_JUMP, v.chain) : undefined;
    case "goto":
    case "foreign":
      return undefined;
  }
}

function match(m: Match, proto: string | undefined): Expr[] | undefined {
  switch (m.kind) {
    case "comment": {
      const e = comment(m.text);
      return e && [e];
    }
    case "dst-local":
      dstLocal ??= xtMatch("addrtype", 1, addrtypeDstLocalInfo());
      return [dstLocal];
    case "dports": {
      if (proto === undefined || !every(m.ports, isPort)) return undefined;
      const info = multiportDportsInfo(m.ports);
      return info && [xtMatch("multiport", 1, info)];
    }
    case "mark":
      // iptables-nft writes a full-mask mark as a plain compare; the planners never ask for one.
      if (!isU32(m.value) || !isU32(m.mask) || m.mask === 0xffffffff) return undefined;
      return [metaLoad(NFT_META_MARK), bitwiseMask(u32le(m.mask)), cmp(NFT_CMP_EQ, u32le(m.value))];
    case "dport":
      if (proto === undefined || !isPort(m.port)) return undefined;
      if (proto === "tcp" || proto === "udp") return [payloadLoad(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), portCmp(m.port)];
      if (proto === "sctp") return [xtMatch("sctp", 0, sctpDportInfo(m.port))];
      return proto === "dccp" ? [xtMatch("dccp", 0, dccpDportInfo(m.port))] : undefined;
    case "conditions":
    case "foreign":
      return undefined;
  }
}

/** The rule's expressions, or undefined when a part has no in-process form. */
export function encodeXtRule(family: Family, rule: Rule): XtRule | undefined {
  if (rule.iif !== undefined || rule.oif !== undefined) return undefined;
  const proto = rule.proto === undefined ? undefined : L4[rule.proto];
  if (rule.proto !== undefined && proto === undefined) return undefined;
  const exprs: Expr[] = [];
  if (proto !== undefined) exprs.push(metaLoad(NFT_META_L4PROTO), protoCmp(proto));
  if (rule.src !== undefined && !pushAll(exprs, prefix(family, rule.src, "src"))) return undefined;
  if (rule.dst !== undefined && !pushAll(exprs, prefix(family, rule.dst, "dst"))) return undefined;
  for (const m of rule.matches) if (!pushAll(exprs, match(m, rule.proto))) return undefined;
  const v = target(family, rule.verdict);
  if (v === undefined) return undefined;
  exprs.push(counter(), v);
  return { exprs, proto: proto ?? 0 };
}

function pushAll(out: Expr[], part: readonly Expr[] | undefined): boolean {
  if (part === undefined) return false;
  for (let i = 0; i < part.length; i++) out.push(part[i] as Expr);
  return true;
}
