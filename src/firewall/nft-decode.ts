/**
 * A native nf_tables rule (dumped over netlink) read back into the typed model (rule.ts): the
 * one decoder of the nft layout. Each statement shape nft-compile.ts writes becomes its typed
 * node; the result is then compiled again and must give the very same expressions, attribute
 * for attribute, or the rule is foreign. So whatever is read as typed re-encodes to what the
 * kernel holds, and a rule with an expression the model does not know (a counter, a limit,
 * a set lookup) is never taken for one of ours: it keeps nft's text as a foreign node.
 */
import { ipBytesString } from "../ip/index.ts";
import { be32, be32Bytes, cString, type Expr, type ExprAttr, ExprBuilder, get, getU32, maskPrefix, readCmp, readData, readFibDaddrType, readVerdict } from "../netlink/nft/expr.ts";
import {
  NFT_CMP_EQ,
  NFT_CMP_NEQ,
  NFT_META_IIFNAME,
  NFT_META_L4PROTO,
  NFT_META_NFPROTO,
  NFT_META_OIFNAME,
  NFT_NAT_DNAT,
  NFT_PAYLOAD_LL_HEADER,
  NFT_PAYLOAD_NETWORK_HEADER,
  NFT_PAYLOAD_TRANSPORT_HEADER,
  NFTA_BITWISE_MASK,
  NFTA_IMMEDIATE_DATA,
  NFTA_IMMEDIATE_DREG,
  NFTA_META_KEY,
  NFTA_NAT_FLAGS,
  NFTA_NAT_REG_ADDR_MAX,
  NFTA_NAT_REG_ADDR_MIN,
  NFTA_NAT_REG_PROTO_MAX,
  NFTA_NAT_REG_PROTO_MIN,
  NFTA_NAT_TYPE,
  NFTA_PAYLOAD_BASE,
  NFTA_PAYLOAD_LEN,
  NFTA_PAYLOAD_OFFSET,
} from "../netlink/nft/constants.ts";
import { compileRule, L4_NUMBER } from "./nft-compile.ts";
import { describeNftExprs } from "./nft-describe.ts";
import type { Rule, RuleDraft, Verdict } from "./rule.ts";

const L4_NAME = new Map(Object.entries(L4_NUMBER).map(([name, n]) => [n, name]));

/** Without a verdict until the statement that ends the rule is read. */
type Draft = Omit<RuleDraft, "verdict"> & { verdict?: Verdict };

const u16be = (b: Uint8Array): number => ((b[0] ?? 0) << 8) | (b[1] ?? 0);

/** An address match (payload [bitwise] cmp) at `i`; how many expressions it used, or 0. */
function address(d: Draft, exprs: readonly Expr[], i: number): number {
  const e = exprs[i] as Expr;
  const offset = getU32(e, NFTA_PAYLOAD_OFFSET);
  const len = getU32(e, NFTA_PAYLOAD_LEN) ?? 0;
  const masked = exprs[i + 1]?.name === "bitwise";
  const c = readCmp(exprs[i + (masked ? 2 : 1)]);
  const field = offset === 12 || offset === 8 ? "src" : offset === 16 || offset === 24 ? "dst" : undefined;
  if (!c || field === undefined || d[field] !== undefined) return 0;
  const full = offset === 12 || offset === 16 ? 4 : 16;
  const bytes = new Uint8Array(full);
  bytes.set(c.value.subarray(0, full));
  const mask = masked ? readData(get(exprs[i + 1] as Expr, NFTA_BITWISE_MASK)).value : undefined;
  const prefix = mask ? maskPrefix(mask) : len * 8;
  d[field] = { cidr: `${ipBytesString(bytes)}/${prefix}`, ...(c.op === NFT_CMP_NEQ ? { not: true } : {}) };
  return masked ? 3 : 2;
}

function meta(d: Draft, exprs: readonly Expr[], i: number): number {
  const key = getU32(exprs[i] as Expr, NFTA_META_KEY);
  const c = readCmp(exprs[i + 1]);
  if (!c) return 0;
  if (key === NFT_META_NFPROTO) return 2; // nft's dependency before an inet address match; compiled again below
  if (key === NFT_META_IIFNAME || key === NFT_META_OIFNAME) {
    const name = cString(c.value) ?? "";
    const which = key === NFT_META_IIFNAME ? "iif" : "oif";
    if (d[which] !== undefined) return 0;
    d[which] = c.op === NFT_CMP_NEQ ? { name, not: true } : { name };
    return 2;
  }
  if (key !== NFT_META_L4PROTO || c.op !== NFT_CMP_EQ || d.proto !== undefined) return 0;
  d.proto = L4_NAME.get(c.value[0] ?? 0);
  if (d.proto === undefined) return 0;
  const p = exprs[i + 2];
  const port = readCmp(exprs[i + 3]);
  if (p?.name === "payload" && getU32(p, NFTA_PAYLOAD_BASE) === NFT_PAYLOAD_TRANSPORT_HEADER && getU32(p, NFTA_PAYLOAD_OFFSET) === 2 && port) {
    d.matches.push({ kind: "dport", port: u16be(port.value) });
    return 4;
  }
  return 2;
}

/** One statement at `i` into the draft; how many expressions it used, 0 for one the model does not know. */
function statement(d: Draft, exprs: readonly Expr[], i: number, regs: Map<number, Uint8Array>): number {
  const e = exprs[i] as Expr;
  if (d.verdict !== undefined) return 0;
  switch (e.name) {
    case "meta":
      return meta(d, exprs, i);
    case "payload": {
      const base = getU32(e, NFTA_PAYLOAD_BASE);
      if (base === NFT_PAYLOAD_NETWORK_HEADER) return address(d, exprs, i);
      const c = readCmp(exprs[i + 1]);
      if (base !== NFT_PAYLOAD_LL_HEADER || getU32(e, NFTA_PAYLOAD_OFFSET) !== 6 || !c) return 0;
      d.matches.push({ kind: "ether-saddr", mac: Array.from(c.value.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":") });
      return 2;
    }
    case "fib":
      if (readFibDaddrType(e, exprs[i + 1])?.type !== "local") return 0;
      d.matches.push({ kind: "dst-local" });
      return 2;
    case "immediate": {
      const v = readVerdict(e);
      if (v) {
        d.verdict = v.chain === undefined ? { kind: v.word as "accept" | "drop" | "return" } : { kind: v.word as "jump" | "goto", chain: v.chain };
        return 1;
      }
      const value = readData(get(e, NFTA_IMMEDIATE_DATA)).value;
      const reg = getU32(e, NFTA_IMMEDIATE_DREG);
      if (value === undefined || reg === undefined) return 0;
      regs.set(reg, value);
      return 1;
    }
    case "nat": {
      const addr = regs.get(getU32(e, NFTA_NAT_REG_ADDR_MIN) ?? -1);
      const port = regs.get(getU32(e, NFTA_NAT_REG_PROTO_MIN) ?? -1);
      if (getU32(e, NFTA_NAT_TYPE) !== NFT_NAT_DNAT || addr === undefined || port === undefined) return 0;
      d.verdict = { kind: "dnat", addr: ipBytesString(addr), port: u16be(port) };
      return 1;
    }
    case "masq":
      d.verdict = { kind: "masquerade" };
      return 1;
    default:
      return 0;
  }
}

const NF_NAT_RANGE_MAP_IPS = 1;
const NFTA_BITWISE_OP = 6;
const NFT_BITWISE_BOOL = 0;

/**
 * An expression as the kernel dumps it: attributes in type order (it writes some, like fib's,
 * in another order than nft sends them), a verdict's attributes re-spelled, a bitwise's operation
 * named (mask-and-xor, the only one nft sends without naming it), and a nat's ranges complete (a dump names the max
 * registers, equal to the min ones nft sent, and flags "map IPs" once an address is mapped).
 * Nothing else is filled in, so two expressions that differ in meaning stay apart.
 */
export function kernelForm(e: Expr): Expr {
  const attrs = new Map(e.attrs.map((a) => [a.type, a]));
  if (e.name === "nat") {
    const addr = attrs.get(NFTA_NAT_REG_ADDR_MIN);
    const proto = attrs.get(NFTA_NAT_REG_PROTO_MIN);
    if (addr && !attrs.has(NFTA_NAT_REG_ADDR_MAX)) attrs.set(NFTA_NAT_REG_ADDR_MAX, { ...addr, type: NFTA_NAT_REG_ADDR_MAX });
    if (proto && !attrs.has(NFTA_NAT_REG_PROTO_MAX)) attrs.set(NFTA_NAT_REG_PROTO_MAX, { ...proto, type: NFTA_NAT_REG_PROTO_MAX });
    const flags = attrs.get(NFTA_NAT_FLAGS);
    const v = be32(flags?.data);
    if (addr && flags && v !== undefined) attrs.set(NFTA_NAT_FLAGS, { ...flags, data: be32Bytes(v | NF_NAT_RANGE_MAP_IPS) });
  }
  // Kernels since 5.6 name a bitwise's operation in dumps; nft sends none for the default, a mask.
  if (e.name === "bitwise" && !attrs.has(NFTA_BITWISE_OP)) attrs.set(NFTA_BITWISE_OP, { type: NFTA_BITWISE_OP, nested: false, data: be32Bytes(NFT_BITWISE_BOOL) });
  const data = e.name === "immediate" ? readData(get(e, NFTA_IMMEDIATE_DATA)).verdict : undefined;
  // A verdict's inner attribute comes back without the nested flag nft set on it.
  if (data) attrs.set(NFTA_IMMEDIATE_DATA, new ExprBuilder("").verdict(NFTA_IMMEDIATE_DATA, data.code, data.chain).build().attrs[0] as ExprAttr);
  return { name: e.name, attrs: [...attrs.values()].sort((x, y) => x.type - y.type) };
}

function sameExprs(a: readonly Expr[], b: readonly Expr[]): boolean {
  const bytes = (x: Uint8Array, y: Uint8Array) => x.byteLength === y.byteLength && x.every((v, i) => v === y[i]);
  const same = (e: Expr, f: Expr) =>
    e.name === f.name && e.attrs.length === f.attrs.length && e.attrs.every((x, j) => x.type === f.attrs[j]?.type && bytes(x.data, f.attrs[j]?.data ?? new Uint8Array()));
  return a.length === b.length && a.every((e, i) => same(kernelForm(e), kernelForm(b[i] as Expr)));
}

/** A rule no decoder could read: nft's text of it, as one foreign node. */
export function foreignRule(tableFamily: number, exprs: readonly Expr[]): Rule {
  return { matches: [{ kind: "foreign", tokens: describeNftExprs(tableFamily, exprs).split(" ") }], verdict: { kind: "foreign", tokens: [] } };
}

/** The rule of a table of `tableFamily` (NFPROTO_*) as typed data; foreign unless it re-encodes to `exprs`. */
export function decodeNftRule(tableFamily: number, exprs: readonly Expr[]): Rule {
  const d: Draft = { matches: [] };
  const regs = new Map<number, Uint8Array>();
  for (let i = 0; i < exprs.length; ) {
    const used = statement(d, exprs, i, regs);
    if (used === 0) return foreignRule(tableFamily, exprs);
    i += used;
  }
  if (d.verdict === undefined) return foreignRule(tableFamily, exprs);
  const rule: Rule = { ...d, matches: d.matches, verdict: d.verdict };
  const again = compileRule(tableFamily, rule);
  return again !== undefined && sameExprs(again, exprs) ? rule : foreignRule(tableFamily, exprs);
}

/** Whether a rule holds a part the model does not know (read from the kernel or another tool). */
export function isForeign(rule: Rule): boolean {
  return rule.verdict.kind === "foreign" || rule.matches.some((m) => m.kind === "foreign");
}
