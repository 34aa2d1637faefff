/**
 * Reads a rule of an iptables-nft table (dumped over netlink) back into the typed model
 * (rule.ts), one decoder per expression: address and protocol matches as native payload/meta
 * expressions, port matches, `mark`, fib, and xt matches and targets (xt-decode-info.ts). What
 * no decoder knows becomes a foreign node spelled as a token that starts with `?`: it equals
 * nothing a plan asks for, so an unknown rule is never mistaken for one of ours, never rewritten,
 * and its jump target is still read.
 */
import { ipBytesString } from "../ip/index.ts";
import type { Expr } from "../netlink/nft/expr.ts";
import { cString, get, getU32, maskPrefix, readCmp, readData, readFibDaddrType, readVerdict } from "../netlink/nft/expr.ts";
import {
  NFPROTO_IPV6,
  NFT_CMP_EQ,
  NFT_CMP_NEQ,
  NFT_META_IIFNAME,
  NFT_META_L4PROTO,
  NFT_META_MARK,
  NFT_META_OIFNAME,
  NFT_PAYLOAD_NETWORK_HEADER,
  NFT_PAYLOAD_TRANSPORT_HEADER,
  NFTA_BITWISE_MASK,
  NFTA_MATCH_INFO,
  NFTA_MATCH_NAME,
  NFTA_MATCH_REV,
  NFTA_META_KEY,
  NFTA_PAYLOAD_BASE,
  NFTA_PAYLOAD_LEN,
  NFTA_PAYLOAD_OFFSET,
  NFTA_TARGET_INFO,
  NFTA_TARGET_NAME,
} from "../netlink/nft/constants.ts";
import type { RuleArgs } from "./model.ts";
import { type Iface, type Match, type Prefix, type Rule, ruleArgs, type RuleDraft, type Verdict } from "./rule.ts";
import { be16, hex, le32, xtMatchOf, xtTargetOf } from "./xt-decode-info.ts";

const PROTO_NAMES: Readonly<Record<number, string>> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp", 132: "sctp", 136: "udplite", 33: "dccp" };

const bang = (op: number): string[] => (op === NFT_CMP_NEQ ? ["!"] : []);
const foreign = (tokens: string[]): Match => ({ kind: "foreign", tokens });

function prefixOf(bytes: Uint8Array, full: number, prefix: number, op: number): Prefix {
  const padded = new Uint8Array(full);
  padded.set(bytes.subarray(0, full));
  const cidr = `${ipBytesString(padded)}/${prefix}`;
  return op === NFT_CMP_NEQ ? { cidr, not: true } : { cidr };
}

function ifaceOf(value: Uint8Array, op: number): Iface {
  const nul = value.indexOf(0);
  const name = nul >= 0 ? (cString(value) ?? "") : `${cString(value) ?? ""}+`;
  return op === NFT_CMP_NEQ ? { name, not: true } : { name };
}

/** iptables spells the nft verdicts as targets: `-j ACCEPT`, `-j <chain>`, `-g <chain>`. */
function verdictOf(e: Expr): Verdict | undefined {
  const v = readVerdict(e);
  if (v === undefined) return undefined;
  if (v.word === "accept") return { kind: "accept" };
  if (v.word === "return") return { kind: "return" };
  if (v.chain === undefined) return { kind: "foreign", tokens: ["-j", v.word.toUpperCase()] };
  return { kind: v.word === "goto" ? "goto" : "jump", chain: v.chain };
}

/** Decodes the expression at `i` into the draft; returns how many expressions it used. */
function decodeAt(d: RuleDraft, exprs: readonly Expr[], i: number, v6: boolean): number {
  const e = exprs[i] as Expr;
  const next = exprs[i + 1];
  if (e.name === "counter") return 1;
  if (e.name === "payload") {
    const base = getU32(e, NFTA_PAYLOAD_BASE);
    const offset = getU32(e, NFTA_PAYLOAD_OFFSET);
    const len = getU32(e, NFTA_PAYLOAD_LEN) ?? 0;
    const mask = next?.name === "bitwise" ? readData(get(next, NFTA_BITWISE_MASK)).value : undefined;
    const used = next?.name === "bitwise" ? 3 : 2;
    const c = readCmp(exprs[i + used - 1]);
    const [srcOff, dstOff] = v6 ? [8, 24] : [12, 16];
    if (c && base === NFT_PAYLOAD_NETWORK_HEADER && (offset === srcOff || offset === dstOff)) {
      const p = prefixOf(c.value, v6 ? 16 : 4, mask ? maskPrefix(mask) : len * 8, c.op);
      if (offset === srcOff) d.src = p;
      else d.dst = p;
      return used;
    }
    if (c && !mask && base === NFT_PAYLOAD_TRANSPORT_HEADER && len === 2 && (offset === 0 || offset === 2) && d.proto !== undefined) {
      const port = be16(c.value, 0);
      if (offset === 2 && c.op === NFT_CMP_EQ) d.matches.push({ kind: "dport", port });
      else d.matches.push(foreign(["-m", d.proto, ...bang(c.op), offset === 0 ? "--sport" : "--dport", String(port)]));
      return used;
    }
    d.matches.push(foreign(["?payload"]));
    return 1;
  }
  if (e.name === "meta") {
    const key = getU32(e, NFTA_META_KEY);
    const c = readCmp(next);
    if (key === NFT_META_L4PROTO && c && c.op === NFT_CMP_EQ) {
      d.proto = PROTO_NAMES[c.value[0] ?? 0] ?? String(c.value[0]);
      return 2;
    }
    if ((key === NFT_META_IIFNAME || key === NFT_META_OIFNAME) && c) {
      if (key === NFT_META_IIFNAME) d.iif = ifaceOf(c.value, c.op);
      else d.oif = ifaceOf(c.value, c.op);
      return 2;
    }
    const mc = readCmp(exprs[i + 2]);
    if (key === NFT_META_MARK && next?.name === "bitwise" && mc) {
      const m = readData(get(next, NFTA_BITWISE_MASK)).value;
      const value = le32(mc.value, 0);
      const mask = m ? le32(m, 0) : 0xffffffff;
      if (mc.op === NFT_CMP_EQ) d.matches.push({ kind: "mark", value, mask });
      else d.matches.push(foreign(["-m", "mark", ...bang(mc.op), "--mark", mask === 0xffffffff ? hex(value) : `${hex(value)}/${hex(mask)}`]));
      return 3;
    }
    d.matches.push(foreign(["?meta"]));
    return 1;
  }
  if (e.name === "fib") {
    const f = readFibDaddrType(e, next);
    if (!f) {
      d.matches.push(foreign(["?fib"]));
      return 1;
    }
    d.matches.push(f.op === NFT_CMP_EQ && f.type === "local" ? { kind: "dst-local" } : foreign(["-m", "addrtype", ...bang(f.op), "--dst-type", f.type.toUpperCase()]));
    return 2;
  }
  if (e.name === "match") {
    d.matches.push(xtMatchOf(cString(get(e, NFTA_MATCH_NAME)) ?? "", getU32(e, NFTA_MATCH_REV) ?? 0, get(e, NFTA_MATCH_INFO) ?? new Uint8Array()));
    return 1;
  }
  if (e.name === "target") {
    d.verdict = xtTargetOf(cString(get(e, NFTA_TARGET_NAME)) ?? "", get(e, NFTA_TARGET_INFO) ?? new Uint8Array(), v6);
    return 1;
  }
  const v = verdictOf(e);
  if (v) d.verdict = v;
  else d.matches.push(foreign([`?${e.name}`]));
  return 1;
}

/** One rule of table `family` (NFPROTO_IPV4 / NFPROTO_IPV6) as the typed model. */
export function decodeXtRule(family: number, exprs: readonly Expr[]): Rule {
  const d: RuleDraft = { matches: [], verdict: { kind: "foreign", tokens: [] } };
  const v6 = family === NFPROTO_IPV6;
  for (let i = 0; i < exprs.length; ) i += decodeAt(d, exprs, i, v6);
  return d;
}

/** `iptables-save` tokens of one rule of table `family`: the model, spelled (rule.ts). */
export function xtRuleArgs(family: number, exprs: readonly Expr[]): RuleArgs {
  return ruleArgs(family === NFPROTO_IPV6 ? 6 : 4, decodeXtRule(family, exprs));
}
