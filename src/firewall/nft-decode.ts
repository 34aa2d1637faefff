/**
 * A native nf_tables rule (dumped over netlink) read back into the typed model (rule.ts): the
 * one decoder of the nft layout. Each statement shape nft-compile.ts writes becomes its typed
 * node; the result is then compiled again and must give the very same expressions, attribute
 * for attribute, or the rule is foreign. So whatever is read as typed re-encodes to what the
 * kernel holds, and a rule with an expression the model does not know (a counter, a limit,
 * a set lookup) is never taken for one of ours: it keeps nft's text as a foreign node.
 */
import { ipBytesString } from "../ip/index.ts";
import { be32, be32Bytes, type Expr, type ExprAttr, ExprBuilder, get, readData } from "../netlink/nft/expr.ts";
import { NFT_CMP_EQ, NFT_CMP_NEQ, NFTA_IMMEDIATE_DATA, NFTA_NAT_FLAGS, NFTA_NAT_REG_ADDR_MAX, NFTA_NAT_REG_ADDR_MIN, NFTA_NAT_REG_PROTO_MAX, NFTA_NAT_REG_PROTO_MIN } from "../netlink/nft/constants.ts";
import { compileRule, L4_NUMBER } from "./nft-compile.ts";
import { describeNftExprs } from "./nft-describe.ts";
import { NftExprReader, type NftStatement } from "./nft-expr-reader.ts";
import type { Rule, RuleDraft, Verdict } from "./rule.ts";

const L4_NAME = new Map(Object.entries(L4_NUMBER).map(([name, n]) => [n, name]));

/** Without a verdict until the statement that ends the rule is read. */
type Draft = Omit<RuleDraft, "verdict"> & { verdict?: Verdict };

/**
 * One statement into the draft; false for one the model does not know. `prev` is the statement
 * before it: a port match is the model's only right after the l4proto it stands on (nft's `tcp dport N`).
 */
function take(d: Draft, s: NftStatement, prev: NftStatement | undefined): boolean {
  if (d.verdict !== undefined) return false;
  switch (s.kind) {
    case "nfproto":
      return true; // nft's dependency before an inet address match; compiled again below
    case "iface":
      if (d[s.dir] !== undefined) return false;
      d[s.dir] = s.op === NFT_CMP_NEQ ? { name: s.name, not: true } : { name: s.name };
      return true;
    case "address": {
      const field = s.field === "saddr" ? "src" : "dst";
      if (d[field] !== undefined) return false;
      const cidr = `${ipBytesString(s.addr)}/${s.prefix}`;
      d[field] = s.op === NFT_CMP_NEQ ? { cidr, not: true } : { cidr };
      return true;
    }
    case "l4proto":
      if (s.op !== NFT_CMP_EQ || d.proto !== undefined) return false;
      d.proto = L4_NAME.get(s.proto);
      return d.proto !== undefined;
    case "port":
      if (prev?.kind !== "l4proto" || s.field !== "dport" || s.op !== NFT_CMP_EQ) return false;
      d.matches.push({ kind: "dport", port: s.port });
      return true;
    case "ether":
      if (s.field !== "saddr" || s.op !== NFT_CMP_EQ) return false;
      d.matches.push({ kind: "ether-saddr", mac: s.mac });
      return true;
    case "fib-daddr-type":
      if (s.type !== "local" || s.op !== NFT_CMP_EQ) return false;
      d.matches.push({ kind: "dst-local" });
      return true;
    case "verdict":
      d.verdict = s.chain === undefined ? { kind: s.word as "accept" | "drop" | "return" } : { kind: s.word as "jump" | "goto", chain: s.chain };
      return true;
    case "load":
      return true; // the nat after it reads the register
    case "dnat":
      if (s.port === undefined) return false;
      d.verdict = { kind: "dnat", addr: ipBytesString(s.addr), port: s.port };
      return true;
    case "masquerade":
      d.verdict = { kind: "masquerade" };
      return true;
    case "counter":
      return false;
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
  const reader = new NftExprReader(exprs);
  let prev: NftStatement | undefined;
  for (let i = 0; i < exprs.length; ) {
    const s = reader.at(i);
    if (s === undefined || !take(d, s, prev)) return foreignRule(tableFamily, exprs);
    prev = s;
    i += s.used;
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
