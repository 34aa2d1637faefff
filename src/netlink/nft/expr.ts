/**
 * nf_tables expressions. An expression is kept as its name plus its attributes in wire order,
 * so a rule read from the kernel re-encodes to the same bytes; typed readers pick fields out
 * for the translators, and the builders write attributes in the order libnftnl does, which is
 * what the golden batches recorded from nft and iptables-nft check.
 */
import type { Writer } from "../attrs.ts";
import { NLA_F_NESTED } from "../constants.ts";
import { exprWire } from "./expr-wire.ts";
import {
  NF_ACCEPT,
  NF_DROP,
  NFT_FIB_RESULT_ADDRTYPE,
  NFT_GOTO,
  NFT_JUMP,
  NFT_REG_VERDICT,
  NFT_RETURN,
  NFTA_CMP_DATA,
  NFTA_CMP_OP,
  NFTA_FIB_F_DADDR,
  NFTA_FIB_FLAGS,
  NFTA_FIB_RESULT,
  NFTA_IMMEDIATE_DATA,
  NFTA_IMMEDIATE_DREG,
  NFTA_DATA_VALUE,
  NFTA_DATA_VERDICT,
  NFTA_EXPR_DATA,
  NFTA_EXPR_NAME,
  NFTA_LIST_ELEM,
  NFTA_VERDICT_CHAIN,
  NFTA_VERDICT_CODE,
} from "./constants.ts";

export interface ExprAttr {
  readonly type: number;
  readonly nested: boolean;
  readonly data: Uint8Array;
}

export interface Expr {
  readonly name: string;
  readonly attrs: readonly ExprAttr[];
  /** Its NFTA_LIST_ELEM bytes, when it was built as bytes (the iptables layout's, xt.ts). */
  readonly wire?: Uint8Array;
}

const dec = new TextDecoder();
const enc = new TextEncoder();

/**
 * A NUL-terminated string. One TextDecoder call, not a loop of String.fromCharCode: a plugin
 * exec runs this code in JSC's interpreter, where the loop costs ~700 instructions a character
 * and the call ~2,500 in all (a 20-character chain name: 14k vs 2.7k; docs/performance.md).
 */
export function cString(b: Uint8Array | undefined): string | undefined {
  if (b === undefined) return undefined;
  let end = b.indexOf(0);
  if (end < 0) end = b.byteLength;
  return dec.decode(b.subarray(0, end));
}

/** The attributes of `buf` as a list (a plain loop: dumps decode thousands of these). */
export function attrList(buf: Uint8Array): ExprAttr[] {
  const out: ExprAttr[] = [];
  let off = 0;
  const n = buf.byteLength;
  while (off + 4 <= n) {
    const len = (buf[off] ?? 0) | ((buf[off + 1] ?? 0) << 8);
    const raw = (buf[off + 2] ?? 0) | ((buf[off + 3] ?? 0) << 8);
    if (len < 4 || off + len > n) break;
    out.push({ type: raw & 0x3fff, nested: (raw & NLA_F_NESTED) !== 0, data: buf.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
}

// Byte arithmetic, not a DataView: creating a view costs ~2,500 instructions in the interpreter.
const int32At = (b: Uint8Array): number => ((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0);

export function be32(b: Uint8Array | undefined): number | undefined {
  return b !== undefined && b.byteLength >= 4 ? int32At(b) >>> 0 : undefined;
}

export function be32s(b: Uint8Array | undefined): number | undefined {
  return b !== undefined && b.byteLength >= 4 ? int32At(b) : undefined;
}

export function be64(b: Uint8Array | undefined): bigint | undefined {
  return b !== undefined && b.byteLength >= 8 ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, false) : undefined;
}

/** A u32 as its 4 big-endian bytes (byte stores: a DataView costs more in JSC's interpreter). */
export function be32Bytes(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export function be64Bytes(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, false);
  return b;
}

function decodeElem(elem: ExprAttr): Expr {
  let name = "";
  let data: ExprAttr[] = [];
  for (const a of attrList(elem.data)) {
    if (a.type === NFTA_EXPR_NAME) name = cString(a.data) ?? "";
    else if (a.type === NFTA_EXPR_DATA) data = attrList(a.data);
  }
  return { name, attrs: data };
}

/** Decodes NFTA_RULE_EXPRESSIONS. */
export function decodeExprs(list: Uint8Array): Expr[] {
  const out: Expr[] = [];
  for (const e of attrList(list)) if (e.type === NFTA_LIST_ELEM) out.push(decodeElem(e));
  return out;
}

/** Only the last expression of NFTA_RULE_EXPRESSIONS (where an iptables rule keeps its verdict). */
export function decodeLastExpr(list: Uint8Array): Expr | undefined {
  const all = attrList(list);
  for (let i = all.length - 1; i >= 0; i--) {
    const e = all[i];
    if (e !== undefined && e.type === NFTA_LIST_ELEM) return decodeElem(e);
  }
  return undefined;
}

/** Writes one expression as an NFTA_LIST_ELEM. */
export function writeExpr(w: Writer, e: Expr): void {
  w.bytes(exprWire(e));
}

export function writeExprs(w: Writer, list: readonly Expr[]): void {
  for (const e of list) writeExpr(w, e);
}

export function get(e: Expr, type: number): Uint8Array | undefined {
  for (const a of e.attrs) if (a.type === type) return a.data;
  return undefined;
}

export function getU32(e: Expr, type: number): number | undefined {
  return be32(get(e, type));
}

export type Verdict = { readonly code: number; readonly chain?: string };

/** NFTA_DATA_* nested data: a value or a verdict. */
export function readData(b: Uint8Array | undefined): { value?: Uint8Array; verdict?: Verdict } {
  if (b === undefined) return {};
  const out: { value?: Uint8Array; verdict?: Verdict } = {};
  for (const a of attrList(b)) {
    if (a.type === NFTA_DATA_VALUE) out.value = a.data;
    else if (a.type === NFTA_DATA_VERDICT) {
      let code = 0;
      let chain: string | undefined;
      for (const v of attrList(a.data)) {
        if (v.type === NFTA_VERDICT_CODE) code = be32s(v.data) ?? 0;
        else if (v.type === NFTA_VERDICT_CHAIN) chain = cString(v.data);
      }
      out.verdict = chain === undefined ? { code } : { code, chain };
    }
  }
  return out;
}

export type VerdictWord = "accept" | "drop" | "return" | "jump" | "goto";

/**
 * The verdict an `immediate` expression sets, named as nft prints it (with the target chain of a
 * jump or goto); undefined for an immediate that loads a data register, and for anything else.
 */
export function readVerdict(e: Expr | undefined): { readonly word: VerdictWord; readonly chain?: string } | undefined {
  if (e?.name !== "immediate" || getU32(e, NFTA_IMMEDIATE_DREG) !== NFT_REG_VERDICT) return undefined;
  const v = readData(get(e, NFTA_IMMEDIATE_DATA)).verdict;
  if (v === undefined) return undefined;
  if (v.code === NF_ACCEPT) return { word: "accept" };
  if (v.code === NF_DROP) return { word: "drop" };
  if (v.code === NFT_RETURN) return { word: "return" };
  if (v.chain === undefined) return undefined;
  if (v.code === NFT_JUMP) return { word: "jump", chain: v.chain };
  if (v.code === NFT_GOTO) return { word: "goto", chain: v.chain };
  return undefined;
}

/** A `cmp` expression's operator (NFT_CMP_*) and operand; undefined for anything else. */
export function readCmp(e: Expr | undefined): { op: number; value: Uint8Array } | undefined {
  if (e?.name !== "cmp") return undefined;
  const value = readData(get(e, NFTA_CMP_DATA)).value;
  const op = getU32(e, NFTA_CMP_OP);
  return value === undefined || op === undefined ? undefined : { op, value };
}

/** Route types (RTN_*), as nft names them; iptables' addrtype spells them in capitals. */
export const ROUTE_TYPES: readonly string[] = ["unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"];

/**
 * `fib daddr type [!=] <type>` (iptables-nft's `-m addrtype --dst-type`): a fib expression and
 * the cmp after it. `type` is "?" for a route type number without a name.
 */
export function readFibDaddrType(e: Expr | undefined, next: Expr | undefined): { readonly op: number; readonly type: string } | undefined {
  if (e?.name !== "fib" || getU32(e, NFTA_FIB_RESULT) !== NFT_FIB_RESULT_ADDRTYPE || getU32(e, NFTA_FIB_FLAGS) !== NFTA_FIB_F_DADDR) return undefined;
  const c = readCmp(next);
  return c && { op: c.op, type: ROUTE_TYPES[c.value[0] ?? 0] ?? "?" };
}

/** The prefix length a bitwise mask stands for (its set bits). */
export function maskPrefix(mask: Uint8Array): number {
  let n = 0;
  for (const b of mask) for (let bit = 7; bit >= 0; bit--) if (b & (1 << bit)) n++;
  return n;
}

/** Small builder for one expression's attributes, in the order they are added. */
export class ExprBuilder {
  readonly #attrs: ExprAttr[] = [];
  constructor(readonly name: string) {}

  u32(type: number, v: number): this {
    this.#attrs.push({ type, nested: false, data: be32Bytes(v) });
    return this;
  }
  u64(type: number, v: bigint): this {
    this.#attrs.push({ type, nested: false, data: be64Bytes(v) });
    return this;
  }
  bytes(type: number, b: Uint8Array): this {
    this.#attrs.push({ type, nested: false, data: b });
    return this;
  }
  string(type: number, s: string): this {
    const b = enc.encode(s);
    const z = new Uint8Array(b.byteLength + 1);
    z.set(b);
    return this.bytes(type, z);
  }
  /** NFTA_DATA_VALUE wrapped in the nested data attribute `type`. */
  value(type: number, b: Uint8Array): this {
    this.#attrs.push({ type, nested: true, data: nestedValue(b) });
    return this;
  }
  verdict(type: number, code: number, chain?: string): this {
    this.#attrs.push({ type, nested: true, data: nestedVerdict(code, chain) });
    return this;
  }
  build(): Expr {
    return { name: this.name, attrs: [...this.#attrs] };
  }
}

function tlv(type: number, payload: Uint8Array): Uint8Array {
  const len = 4 + payload.byteLength;
  const out = new Uint8Array((len + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

function nestedValue(b: Uint8Array): Uint8Array {
  return tlv(NFTA_DATA_VALUE, b);
}

function nestedVerdict(code: number, chain?: string): Uint8Array {
  const c = new Uint8Array(4);
  new DataView(c.buffer).setInt32(0, code, false);
  const inner = [tlv(NFTA_VERDICT_CODE, c)];
  if (chain !== undefined) {
    const s = enc.encode(chain);
    const z = new Uint8Array(s.byteLength + 1);
    z.set(s);
    inner.push(tlv(NFTA_VERDICT_CHAIN, z));
  }
  return tlv(NFTA_DATA_VERDICT | NLA_F_NESTED, concat(inner));
}
