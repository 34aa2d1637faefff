/**
 * An iptables-layout rule (the argv tokens its planner wrote, in iptables-save's form) as the
 * nf_tables expressions iptables-nft 1.8.9 writes for it, so a rule tscni adds in-process is the
 * rule `iptables-restore` would have added: same expressions, same xt info blobs, a counter, and
 * the compat protocol. Only the token shapes the planners produce are accepted; anything else
 * (user conditions) returns undefined and the call goes through iptables-restore instead.
 */
import { parseCIDRLiteral, parseIPLiteral } from "../ip/index.ts";
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
import type { Family, RuleArgs } from "./model.ts";

/** A rule ready for NFT_MSG_NEWRULE: its expressions and the NFTA_RULE_COMPAT protocol (0: none). */
export interface XtRule {
  readonly exprs: readonly Expr[];
  readonly proto: number;
}

const L4: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, dccp: 33 };
const CHAIN = /^[A-Za-z0-9_.-]{1,28}$/;
const BUILTIN_TARGETS = new Set(["ACCEPT", "DROP", "RETURN", "QUEUE", "MASQUERADE", "DNAT", "SNAT", "MARK"]);


function port(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

function u32(text: string | undefined): number | undefined {
  if (text === undefined || !/^0x[0-9a-f]{1,8}$/.test(text)) return undefined;
  return Number.parseInt(text.slice(2), 16);
}

/** `value/mask` as iptables-save prints marks. */
function markPair(text: string | undefined): [number, number] | undefined {
  const [v, m, extra] = (text ?? "").split("/");
  const value = u32(v);
  const mask = u32(m);
  return value === undefined || mask === undefined || extra !== undefined ? undefined : [value, mask];
}

function addrBytes(family: Family, text: string): { bytes: Uint8Array; prefix: number } | undefined {
  const c = parseCIDRLiteral(text);
  if (c === undefined || (c.ip.kind() === "ipv6") !== (family === 6) || c.prefix === 0) return undefined;
  return { bytes: Uint8Array.from(c.ip.toByteArray()), prefix: c.prefix };
}

/** `A:P` or `[A]:P` of `--to-destination`, one address and one port. */
function dnatTarget(family: Family, text: string | undefined): Uint8Array | undefined {
  const m = (family === 6 ? /^\[([0-9a-f:]+)\]:(\d+)$/ : /^([0-9.]+):(\d+)$/).exec(text ?? "");
  const a = m ? parseIPLiteral(m[1] ?? "") : undefined;
  const p = port(m?.[2]);
  if (a === undefined || (a.kind() === "ipv6") !== (family === 6) || p === undefined) return undefined;
  return dnatInfo(Uint8Array.from(a.toByteArray()), p);
}

function target(family: Family, args: RuleArgs, i: number): Expr | undefined {
  const name = args[i];
  const rest = args.slice(i + 1);
  if (name === "ACCEPT" && rest.length === 0) return verdict(NF_ACCEPT);
  if (name === "RETURN" && rest.length === 0) return verdict(NFT_RETURN);
  if (name === "MASQUERADE" && rest.length === 0) return xtTarget("MASQUERADE", 0, masqueradeInfo(family === 6));
  if (name === "DNAT" && rest.length === 2 && rest[0] === "--to-destination") {
    const info = dnatTarget(family, rest[1]);
    return info && xtTarget("DNAT", 2, info);
  }
  if (name === "MARK" && rest.length === 2 && rest[0] === "--set-xmark") {
    const m = markPair(rest[1]);
    return m && xtTarget("MARK", 2, markTargetInfo(m[0], m[1]));
  }
  if (name !== undefined && rest.length === 0 && CHAIN.test(name) && !BUILTIN_TARGETS.has(name)) return verdict(NFT_JUMP, name);
  return undefined;
}

/** The rule's expressions, or undefined when a token is not one the planners write. */
export function encodeXtRule(family: Family, args: RuleArgs): XtRule | undefined {
  const full = family === 6 ? 16 : 4;
  const l3: Expr[] = [];
  const l4: Expr[] = [];
  let proto = "";
  let neg = false;
  for (let i = 0; i < args.length; i++) {
    const t = args[i];
    const next = args[i + 1];
    if (t === "!") {
      if (neg) return undefined;
      neg = true;
      continue;
    }
    const op = neg ? NFT_CMP_NEQ : NFT_CMP_EQ;
    const negated = neg;
    neg = false;
    if ((t === "-s" || t === "-d") && next !== undefined) {
      const a = addrBytes(family, next);
      if (!a || l4.length > 0) return undefined;
      const offset = family === 6 ? (t === "-s" ? 8 : 24) : t === "-s" ? 12 : 16;
      l3.push(...prefixMatch(NFT_PAYLOAD_NETWORK_HEADER, offset, full, op, a.bytes, a.prefix));
      i++;
      continue;
    }
    if (negated) return undefined;
    if (t === "-p" && next !== undefined && L4[next] !== undefined && proto === "") {
      proto = next;
      i++;
      continue;
    }
    if (t === "-j") {
      const v = i + 1 < args.length ? target(family, args, i + 1) : undefined;
      if (v === undefined) return undefined;
      const l4proto = proto === "" ? [] : [metaLoad(NFT_META_L4PROTO), cmp(NFT_CMP_EQ, Uint8Array.of(L4[proto] ?? 0))];
      return { exprs: [...l4proto, ...l3, ...l4, counter(), v], proto: L4[proto] ?? 0 };
    }
    if (t !== "-m") return undefined;
    const m = match(args, i + 1, proto);
    if (m === undefined) return undefined;
    l4.push(...m.exprs);
    i += m.tokens;
  }
  return undefined;
}

/** One `-m NAME options…` at `at` (the token after -m): its expressions and tokens consumed. */
function match(args: RuleArgs, at: number, proto: string): { exprs: Expr[]; tokens: number } | undefined {
  const name = args[at];
  const opt = args[at + 1];
  const value = args[at + 2];
  if (name === "comment" && opt === "--comment" && value !== undefined) {
    const info = commentInfo(value);
    return info && { exprs: [xtMatch("comment", 0, info)], tokens: 3 };
  }
  if (name === "addrtype" && opt === "--dst-type" && value === "LOCAL") return { exprs: [xtMatch("addrtype", 1, addrtypeDstLocalInfo())], tokens: 3 };
  if (name === "multiport" && opt === "--dports" && proto !== "") {
    const ports = (value ?? "").split(",").map(port);
    if (ports.some((p) => p === undefined)) return undefined;
    const info = multiportDportsInfo(ports as number[]);
    return info && { exprs: [xtMatch("multiport", 1, info)], tokens: 3 };
  }
  if (name === "mark" && opt === "--mark") {
    const m = markPair(value);
    if (!m || m[1] === 0xffffffff) return undefined;
    return { exprs: [metaLoad(NFT_META_MARK), bitwiseMask(u32le(m[1])), cmp(NFT_CMP_EQ, u32le(m[0]))], tokens: 3 };
  }
  if (name !== proto || opt !== "--dport") return undefined;
  const p = port(value);
  if (p === undefined) return undefined;
  if (proto === "tcp" || proto === "udp") return { exprs: [payloadLoad(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), cmp(NFT_CMP_EQ, be16(p))], tokens: 3 };
  if (proto === "sctp") return { exprs: [xtMatch("sctp", 0, sctpDportInfo(p))], tokens: 3 };
  return { exprs: [xtMatch("dccp", 0, dccpDportInfo(p))], tokens: 3 };
}
