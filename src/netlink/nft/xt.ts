/**
 * The expressions iptables-nft 1.8.9 writes for the iptables layout, built byte for byte as its
 * `iptables-restore` sends them (recorded in test/fixtures/netlink/xt.json by xt-record.ts):
 * native payload/meta/cmp/bitwise for addresses, protocol, tcp/udp ports and marks, a counter on
 * every rule, and xt compat `match`/`target` expressions whose info blob is the kernel's own
 * struct (comment, addrtype, multiport, sctp, dccp, MARK, DNAT, MASQUERADE). Multi-byte fields
 * inside xt blobs are host order (little-endian here) unless the struct says __be16.
 */
import { NLA_F_NESTED } from "../constants.ts";
import {
  NFT_REG_1,
  NFT_REG_VERDICT,
  NFTA_BITWISE_DREG,
  NFTA_BITWISE_LEN,
  NFTA_BITWISE_MASK,
  NFTA_BITWISE_SREG,
  NFTA_BITWISE_XOR,
  NFTA_CMP_DATA,
  NFTA_CMP_OP,
  NFTA_CMP_SREG,
  NFTA_COUNTER_BYTES,
  NFTA_COUNTER_PACKETS,
  NFTA_DATA_VALUE,
  NFTA_DATA_VERDICT,
  NFTA_EXPR_DATA,
  NFTA_EXPR_NAME,
  NFTA_IMMEDIATE_DATA,
  NFTA_IMMEDIATE_DREG,
  NFTA_LIST_ELEM,
  NFTA_MATCH_INFO,
  NFTA_MATCH_NAME,
  NFTA_MATCH_REV,
  NFTA_META_DREG,
  NFTA_META_KEY,
  NFTA_PAYLOAD_BASE,
  NFTA_PAYLOAD_DREG,
  NFTA_PAYLOAD_LEN,
  NFTA_PAYLOAD_OFFSET,
  NFTA_TARGET_INFO,
  NFTA_TARGET_NAME,
  NFTA_TARGET_REV,
  NFTA_VERDICT_CHAIN,
  NFTA_VERDICT_CODE,
} from "./constants.ts";
import { be32Bytes, decodeExprs, type Expr, type ExprAttr } from "./expr.ts";
import { type FlatAttr, nameAttr, putAttrHeader } from "./flat-request.ts";

/** A u32 in host order (meta mark, route types): little-endian on the machines tscni targets. */
export const u32le = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
export const be16 = (v: number): Uint8Array => Uint8Array.of((v >> 8) & 0xff, v & 0xff);

/**
 * An expression built as its NFTA_LIST_ELEM bytes (what a rule message carries); its attributes
 * are read back from them only when something asks (the nft layout's text renderer, tests).
 */
class WiredExpr implements Expr {
  #attrs: readonly ExprAttr[] | undefined;
  constructor(
    readonly name: string,
    readonly wire: Uint8Array,
  ) {}
  get attrs(): readonly ExprAttr[] {
    this.#attrs ??= decodeExprs(this.wire)[0]?.attrs ?? [];
    return this.#attrs;
  }
}

/**
 * One expression's wire bytes straight from its attributes (types with NLA_F_NESTED where nested,
 * values already padded): the bytes ExprBuilder + exprWire write, in one buffer, without an
 * attribute object, a DataView or a TextEncoder call per attribute (the first rule of a plugin
 * exec runs all of this in JSC's interpreter).
 */
function wired(name: string, attrs: readonly FlatAttr[]): Expr {
  const nameValue = nameAttr(NFTA_EXPR_NAME, name).value;
  const nameLen = 4 + nameValue.byteLength;
  const dataAt = 4 + ((nameLen + 3) & ~3);
  let dataLen = 4;
  for (let i = 0; i < attrs.length; i++) dataLen += (4 + (attrs[i] as FlatAttr).value.byteLength + 3) & ~3;
  const wire = new Uint8Array(dataAt + dataLen);
  putAttrHeader(wire, 0, dataAt + dataLen, NFTA_LIST_ELEM | NLA_F_NESTED);
  putAttrHeader(wire, 4, nameLen, NFTA_EXPR_NAME);
  wire.set(nameValue, 8);
  putAttrHeader(wire, dataAt, dataLen, NFTA_EXPR_DATA | NLA_F_NESTED);
  let off = dataAt + 4;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i] as FlatAttr;
    putAttrHeader(wire, off, 4 + a.value.byteLength, a.type);
    wire.set(a.value, off + 4);
    off += (4 + a.value.byteLength + 3) & ~3;
  }
  return new WiredExpr(name, wire);
}

const u32Attr = (type: number, v: number): FlatAttr => ({ type, value: be32Bytes(v) });

/** `type` holding a nested attribute `inner` with `payload` (padded, as a nested value is). */
function nestedAttr(type: number, inner: number, payload: Uint8Array): FlatAttr {
  const value = new Uint8Array((4 + payload.byteLength + 3) & ~3);
  putAttrHeader(value, 0, 4 + payload.byteLength, inner);
  value.set(payload, 4);
  return { type: type | NLA_F_NESTED, value };
}

// Expressions are immutable, and the ones below repeat from rule to rule: each is built once per
// process.
const metaLoads = new Map<number, Expr>();
const payloadLoads = new Map<number, Expr>();
const verdicts = new Map<string, Expr>();

export function metaLoad(key: number): Expr {
  let e = metaLoads.get(key);
  if (e === undefined) {
    e = wired("meta", [u32Attr(NFTA_META_KEY, key), u32Attr(NFTA_META_DREG, NFT_REG_1)]);
    metaLoads.set(key, e);
  }
  return e;
}

export function payloadLoad(base: number, offset: number, len: number): Expr {
  const key = base * 0x1000000 + offset * 0x100 + len;
  let e = payloadLoads.get(key);
  if (e === undefined) {
    e = wired("payload", [u32Attr(NFTA_PAYLOAD_DREG, NFT_REG_1), u32Attr(NFTA_PAYLOAD_BASE, base), u32Attr(NFTA_PAYLOAD_OFFSET, offset), u32Attr(NFTA_PAYLOAD_LEN, len)]);
    payloadLoads.set(key, e);
  }
  return e;
}

export function cmp(op: number, data: Uint8Array): Expr {
  return wired("cmp", [u32Attr(NFTA_CMP_SREG, NFT_REG_1), u32Attr(NFTA_CMP_OP, op), nestedAttr(NFTA_CMP_DATA, NFTA_DATA_VALUE, data)]);
}

/** `reg1 = (reg1 & mask) ^ 0`. */
export function bitwiseMask(mask: Uint8Array): Expr {
  return wired("bitwise", [
    u32Attr(NFTA_BITWISE_SREG, NFT_REG_1),
    u32Attr(NFTA_BITWISE_DREG, NFT_REG_1),
    u32Attr(NFTA_BITWISE_LEN, mask.byteLength),
    nestedAttr(NFTA_BITWISE_MASK, NFTA_DATA_VALUE, mask),
    nestedAttr(NFTA_BITWISE_XOR, NFTA_DATA_VALUE, new Uint8Array(mask.byteLength)),
  ]);
}

/** iptables-nft puts a zeroed counter on every rule, before the target. */
let zeroCounter: Expr | undefined;

export function counter(): Expr {
  zeroCounter ??= wired("counter", [
    { type: NFTA_COUNTER_BYTES, value: new Uint8Array(8) },
    { type: NFTA_COUNTER_PACKETS, value: new Uint8Array(8) },
  ]);
  return zeroCounter;
}

export function verdict(code: number, chain?: string): Expr {
  const key = chain === undefined ? `${code}` : `${code} ${chain}`;
  let e = verdicts.get(key);
  if (e === undefined) {
    const codeLen = 8;
    const name = chain === undefined ? undefined : nameAttr(NFTA_VERDICT_CHAIN, chain).value;
    const inner = new Uint8Array(codeLen + (name === undefined ? 0 : (4 + name.byteLength + 3) & ~3));
    putAttrHeader(inner, 0, codeLen, NFTA_VERDICT_CODE);
    inner.set(be32Bytes(code), 4);
    if (name !== undefined) {
      putAttrHeader(inner, codeLen, 4 + name.byteLength, NFTA_VERDICT_CHAIN);
      inner.set(name, codeLen + 4);
    }
    e = wired("immediate", [u32Attr(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT), nestedAttr(NFTA_IMMEDIATE_DATA, NFTA_DATA_VERDICT | NLA_F_NESTED, inner)]);
    verdicts.set(key, e);
  }
  return e;
}

export function xtMatch(name: string, rev: number, info: Uint8Array): Expr {
  return wired("match", [nameAttr(NFTA_MATCH_NAME, name), u32Attr(NFTA_MATCH_REV, rev), { type: NFTA_MATCH_INFO, value: info }]);
}

export function xtTarget(name: string, rev: number, info: Uint8Array): Expr {
  return wired("target", [nameAttr(NFTA_TARGET_NAME, name), u32Attr(NFTA_TARGET_REV, rev), { type: NFTA_TARGET_INFO, value: info }]);
}

// The xt info blobs (struct layouts) live in xt-info.ts.
export {
  addrtypeDstLocalInfo,
  commentInfo,
  dccpDportInfo,
  dnatInfo,
  markTargetInfo,
  masqueradeInfo,
  MULTIPORT_MAX,
  multiportDportsInfo,
  sctpDportInfo,
  XT_COMMENT_MAX,
} from "./xt-info.ts";

/**
 * An address prefix match at `offset` of the network header (`full` bytes long): whole bytes are
 * loaded and compared shorter, any other prefix is loaded whole and masked; iptables-nft and nft
 * both write it this way.
 */
export function prefixMatch(base: number, offset: number, full: number, op: number, addr: Uint8Array, prefix: number): Expr[] {
  if (prefix === full * 8) return [payloadLoad(base, offset, full), cmp(op, addr)];
  if (prefix > 0 && prefix % 8 === 0) return [payloadLoad(base, offset, prefix / 8), cmp(op, addr.subarray(0, prefix / 8))];
  const mask = new Uint8Array(full);
  for (let i = 0; i < prefix; i++) mask[i >> 3] = (mask[i >> 3] ?? 0) | (0x80 >> (i & 7));
  return [payloadLoad(base, offset, full), bitwiseMask(mask), cmp(op, addr.map((b, i) => b & (mask[i] ?? 0)))];
}
