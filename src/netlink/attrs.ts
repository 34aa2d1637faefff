import { NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK } from "./constants.ts";

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Append-only little-endian byte writer for one netlink message. Attribute headers are written
 * first and their length patched when the payload is done, so nested attributes need no size
 * precomputation. Host byte order is little-endian on every platform we ship (x86-64, arm64).
 */
export class Writer {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): number {
    const at = this.#len;
    if (at + n > this.#buf.byteLength) {
      const bigger = new Uint8Array(Math.max(this.#buf.byteLength * 2, at + n));
      bigger.set(this.#buf);
      this.#buf = bigger;
      this.#view = new DataView(bigger.buffer);
    }
    this.#len += n;
    return at;
  }

  u8(v: number): this {
    const at = this.#reserve(1);
    this.#view.setUint8(at, v);
    return this;
  }
  u16(v: number): this {
    const at = this.#reserve(2);
    this.#view.setUint16(at, v, true);
    return this;
  }
  u32(v: number): this {
    const at = this.#reserve(4);
    this.#view.setUint32(at, v >>> 0, true);
    return this;
  }
  i32(v: number): this {
    const at = this.#reserve(4);
    this.#view.setInt32(at, v, true);
    return this;
  }
  bytes(b: Uint8Array): this {
    // Reserve first: growing replaces #buf, which must be read after.
    const at = this.#reserve(b.byteLength);
    this.#buf.set(b, at);
    return this;
  }
  /** Zero bytes up to the next 4-byte boundary (NLA_ALIGN / NLMSG_ALIGN). */
  pad(): this {
    const n = align4(this.#len) - this.#len;
    if (n > 0) this.#reserve(n); // fresh bytes are zero: the buffer only ever grows
    return this;
  }
  /** Overwrites a u16/u32 written earlier (lengths). */
  patchU16(at: number, v: number): void {
    this.#view.setUint16(at, v, true);
  }
  patchU32(at: number, v: number): void {
    this.#view.setUint32(at, v >>> 0, true);
  }

  /** Writes one attribute whose payload `fill` appends; its length is patched afterwards. */
  attr(type: number, fill: (w: this) => void): this {
    const start = this.#reserve(NLA_HDRLEN);
    this.patchU16(start + 2, type);
    fill(this);
    this.patchU16(start, this.#len - start);
    return this.pad();
  }

  attrU8(type: number, v: number): this {
    return this.attr(type, (w) => w.u8(v));
  }
  attrU16(type: number, v: number): this {
    return this.attr(type, (w) => w.u16(v));
  }
  attrU32(type: number, v: number): this {
    return this.attr(type, (w) => w.u32(v));
  }
  attrI32(type: number, v: number): this {
    return this.attr(type, (w) => w.i32(v));
  }
  attrBytes(type: number, b: Uint8Array): this {
    return this.attr(type, (w) => w.bytes(b));
  }
  /** NUL-terminated string, as the kernel's NLA_NUL_STRING / NLA_STRING policies accept. */
  attrString(type: number, s: string): this {
    return this.attr(type, (w) => w.bytes(new TextEncoder().encode(s)).u8(0));
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** One attribute as read: type without the NESTED/BYTEORDER bits, and a view of the payload. */
export interface Attr {
  type: number;
  nested: boolean;
  data: Uint8Array;
}

/**
 * The attributes in `buf`; stops quietly at a truncated tail (the kernel never sends one). An
 * array, not a generator: JSC compiles its generator machinery from source on the first generator
 * a process runs (~0.2 M instructions per plugin exec; docs/performance.md).
 */
export function attrs(buf: Uint8Array): Attr[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Attr[] = [];
  let off = 0;
  while (off + NLA_HDRLEN <= buf.byteLength) {
    const len = view.getUint16(off, true);
    const rawType = view.getUint16(off + 2, true);
    if (len < NLA_HDRLEN || off + len > buf.byteLength) break;
    out.push({ type: rawType & NLA_TYPE_MASK, nested: (rawType & NLA_F_NESTED) !== 0, data: buf.subarray(off + NLA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

/** The highest attribute type an AttrTable records (IFLA_*, IFLA_INFO_*, IFLA_BRPORT_*, IFLA_BR_* are all below it). */
const TABLE_MAX_TYPE = 127;

/**
 * attrMap's `get`/`has` without an object, a view and a map entry per attribute: each type's
 * payload span in one typed array, its view made only when asked for. A link message carries
 * ~40 attributes of which a decoder reads ~10 (decoding a link cost 0.3-0.7 M instructions).
 * A repeated type keeps the last one; types above 127 are not recorded. Lengths, types and the
 * integer readers use byte arithmetic: in JSC's interpreter a DataView read (a native call) or a
 * `subarray` costs more than the rest of an attribute's step (docs/performance.md).
 */
export class AttrTable {
  readonly #buf: Uint8Array;
  /** Per type: payload start + 1 (0: absent), payload length. */
  readonly #spans = new Int32Array(2 * (TABLE_MAX_TYPE + 1));

  constructor(bytes: Uint8Array) {
    // Attribute headers are host-order u16 pairs on 4-byte boundaries of the payload: read them
    // through a Uint16Array (a payload at an odd offset, which no kernel message has, is copied).
    // The loop has no calls and no module-scope constants (4 = NLA_HDRLEN, 0x3fff =
    // NLA_TYPE_MASK, 127 = TABLE_MAX_TYPE): each costs in the interpreter.
    const buf = (bytes.byteOffset & 1) === 0 ? bytes : bytes.slice();
    this.#buf = buf;
    const spans = this.#spans;
    const end = buf.byteLength;
    const half = new Uint16Array(buf.buffer, buf.byteOffset, end >> 1);
    let off = 0;
    while (off + 4 <= end) {
      const len = half[off >> 1] ?? 0;
      const type = (half[(off >> 1) + 1] ?? 0) & 0x3fff;
      if (len < 4 || off + len > end) break;
      if (type <= 127) {
        spans[2 * type] = off + 5;
        spans[2 * type + 1] = len - 4;
      }
      off += (len + 3) & ~3;
    }
  }

  has(type: number): boolean {
    return type >= 0 && type <= TABLE_MAX_TYPE && (this.#spans[2 * type] ?? 0) !== 0;
  }

  get(type: number): Uint8Array | undefined {
    if (!this.has(type)) return undefined;
    const start = (this.#spans[2 * type] ?? 1) - 1;
    return this.#buf.subarray(start, start + (this.#spans[2 * type + 1] ?? 0));
  }

  /** Where `type`'s payload starts when it is there with at least `size` bytes, else -1. */
  #at(type: number, size: number): number {
    if (!this.has(type) || (this.#spans[2 * type + 1] ?? 0) < size) return -1;
    return (this.#spans[2 * type] ?? 1) - 1;
  }

  /** getU8(get(type)) without the view. */
  u8(type: number): number | undefined {
    const at = this.#at(type, 1);
    return at < 0 ? undefined : this.#buf[at];
  }

  /** getU16(get(type)) without the views. */
  u16(type: number): number | undefined {
    const at = this.#at(type, 2);
    const b = this.#buf;
    return at < 0 ? undefined : (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
  }

  /** getI32(get(type)) without the views. */
  i32(type: number): number | undefined {
    const at = this.#at(type, 4);
    const b = this.#buf;
    return at < 0 ? undefined : (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24);
  }

  /** getU32(get(type)) without the views. */
  u32(type: number): number | undefined {
    const v = this.i32(type);
    return v === undefined ? undefined : v >>> 0;
  }
}

/** Attributes by type; a repeated type keeps the last one, like the kernel's nla_parse. */
export function attrMap(buf: Uint8Array): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const a of attrs(buf)) m.set(a.type, a.data);
  return m;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function getU8(b: Uint8Array | undefined): number | undefined {
  return b !== undefined && b.byteLength >= 1 ? b[0] : undefined;
}
export function getU16(b: Uint8Array | undefined): number | undefined {
  return b !== undefined && b.byteLength >= 2 ? dv(b).getUint16(0, true) : undefined;
}
export function getU32(b: Uint8Array | undefined): number | undefined {
  return b !== undefined && b.byteLength >= 4 ? dv(b).getUint32(0, true) : undefined;
}
export function getI32(b: Uint8Array | undefined): number | undefined {
  return b !== undefined && b.byteLength >= 4 ? dv(b).getInt32(0, true) : undefined;
}
/** A string attribute without its NUL terminator. */
export function getString(b: Uint8Array | undefined): string | undefined {
  if (b === undefined) return undefined;
  const nul = b.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? b.subarray(0, nul) : b);
}
