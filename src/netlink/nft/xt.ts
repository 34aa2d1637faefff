/**
 * The expressions iptables-nft 1.8.9 writes for the iptables layout, built byte for byte as its
 * `iptables-restore` sends them (recorded in test/fixtures/netlink/xt.json by xt-record.ts):
 * native payload/meta/cmp/bitwise for addresses, protocol, tcp/udp ports and marks, a counter on
 * every rule, and xt compat `match`/`target` expressions whose info blob is the kernel's own
 * struct (comment, addrtype, multiport, sctp, dccp, MARK, DNAT, MASQUERADE). Multi-byte fields
 * inside xt blobs are host order (little-endian here) unless the struct says __be16.
 */
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
  NFTA_IMMEDIATE_DATA,
  NFTA_IMMEDIATE_DREG,
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
} from "./constants.ts";
import { type Expr, ExprBuilder } from "./expr.ts";

/** A u32 in host order (meta mark, route types): little-endian on the machines tscni targets. */
export const u32le = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
export const be16 = (v: number): Uint8Array => Uint8Array.of((v >> 8) & 0xff, v & 0xff);

// Expressions are immutable, and the ones below repeat from rule to rule: each is built once per
// process, so its wire bytes are encoded once too (exprWire caches by object).
const metaLoads = new Map<number, Expr>();
const payloadLoads = new Map<number, Expr>();
const verdicts = new Map<string, Expr>();

export function metaLoad(key: number): Expr {
  let e = metaLoads.get(key);
  if (e === undefined) {
    e = new ExprBuilder("meta").u32(NFTA_META_KEY, key).u32(NFTA_META_DREG, NFT_REG_1).build();
    metaLoads.set(key, e);
  }
  return e;
}

export function payloadLoad(base: number, offset: number, len: number): Expr {
  const key = base * 0x1000000 + offset * 0x100 + len;
  let e = payloadLoads.get(key);
  if (e === undefined) {
    e = new ExprBuilder("payload").u32(NFTA_PAYLOAD_DREG, NFT_REG_1).u32(NFTA_PAYLOAD_BASE, base).u32(NFTA_PAYLOAD_OFFSET, offset).u32(NFTA_PAYLOAD_LEN, len).build();
    payloadLoads.set(key, e);
  }
  return e;
}

export function cmp(op: number, data: Uint8Array): Expr {
  return new ExprBuilder("cmp").u32(NFTA_CMP_SREG, NFT_REG_1).u32(NFTA_CMP_OP, op).value(NFTA_CMP_DATA, data).build();
}

/** `reg1 = (reg1 & mask) ^ 0`. */
export function bitwiseMask(mask: Uint8Array): Expr {
  return new ExprBuilder("bitwise")
    .u32(NFTA_BITWISE_SREG, NFT_REG_1)
    .u32(NFTA_BITWISE_DREG, NFT_REG_1)
    .u32(NFTA_BITWISE_LEN, mask.byteLength)
    .value(NFTA_BITWISE_MASK, mask)
    .value(NFTA_BITWISE_XOR, new Uint8Array(mask.byteLength))
    .build();
}

/** iptables-nft puts a zeroed counter on every rule, before the target. */
let zeroCounter: Expr | undefined;

export function counter(): Expr {
  zeroCounter ??= new ExprBuilder("counter").u64(NFTA_COUNTER_BYTES, 0n).u64(NFTA_COUNTER_PACKETS, 0n).build();
  return zeroCounter;
}

export function verdict(code: number, chain?: string): Expr {
  const key = chain === undefined ? `${code}` : `${code} ${chain}`;
  let e = verdicts.get(key);
  if (e === undefined) {
    e = new ExprBuilder("immediate").u32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT).verdict(NFTA_IMMEDIATE_DATA, code, chain).build();
    verdicts.set(key, e);
  }
  return e;
}

export function xtMatch(name: string, rev: number, info: Uint8Array): Expr {
  return new ExprBuilder("match").string(NFTA_MATCH_NAME, name).u32(NFTA_MATCH_REV, rev).bytes(NFTA_MATCH_INFO, info).build();
}

export function xtTarget(name: string, rev: number, info: Uint8Array): Expr {
  return new ExprBuilder("target").string(NFTA_TARGET_NAME, name).u32(NFTA_TARGET_REV, rev).bytes(NFTA_TARGET_INFO, info).build();
}

class Blob {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }
  u8(off: number, v: number): this {
    this.#view.setUint8(off, v);
    return this;
  }
  u16(off: number, v: number): this {
    this.#view.setUint16(off, v, true);
    return this;
  }
  be16(off: number, v: number): this {
    this.#view.setUint16(off, v, false);
    return this;
  }
  u32(off: number, v: number): this {
    this.#view.setUint32(off, v >>> 0, true);
    return this;
  }
  set(off: number, b: Uint8Array): this {
    this.bytes.set(b, off);
    return this;
  }
}

const enc = new TextEncoder();
export const XT_COMMENT_MAX = 256;

/** struct xt_comment_info: char comment[256], NUL-terminated. */
export function commentInfo(text: string): Uint8Array | undefined {
  const b = enc.encode(text);
  if (b.byteLength >= XT_COMMENT_MAX || b.includes(0)) return undefined;
  return new Blob(XT_COMMENT_MAX).set(0, b).bytes;
}

const RTN_LOCAL = 2;

/** struct xt_addrtype_info_v1 for `--dst-type LOCAL`: source, dest (u16 masks), flags. */
export function addrtypeDstLocalInfo(): Uint8Array {
  return new Blob(8).u16(2, 1 << RTN_LOCAL).bytes;
}

export const MULTIPORT_MAX = 15;
const XT_MULTIPORT_DESTINATION = 1;

/** struct xt_multiport_v1 for `--dports`: flags, count, ports[15], pflags[15], invert. */
export function multiportDportsInfo(ports: readonly number[]): Uint8Array | undefined {
  if (ports.length === 0 || ports.length > MULTIPORT_MAX) return undefined;
  const b = new Blob(48).u8(0, XT_MULTIPORT_DESTINATION).u8(1, ports.length);
  for (let i = 0; i < ports.length; i++) b.u16(2 + 2 * i, ports[i] as number);
  return b.bytes;
}

const XT_SCTP_DEST_PORTS = 2;
const SCTP_FLAG_INFO_TAIL = Uint8Array.of(0xff, 0, 0, 0xff, 0, 0, 0xff, 0, 0, 0xff, 0, 0);

/**
 * struct xt_sctp_info for `--dport`: dpts, spts, chunkmap[64], chunk_match_type, flag_info[4]
 * (iptables initialises their chunk types to 0xff), flag_count, flags, invflags.
 */
export function sctpDportInfo(port: number): Uint8Array {
  return new Blob(296).u16(0, port).u16(2, port).set(268, SCTP_FLAG_INFO_TAIL).u32(284, XT_SCTP_DEST_PORTS).bytes;
}

const XT_DCCP_DEST_PORTS = 2;

/** struct xt_dccp_info for `--dport`: dpts, spts, flags, invflags, typemask, option. */
export function dccpDportInfo(port: number): Uint8Array {
  return new Blob(16).u16(0, port).u16(2, port).u16(8, XT_DCCP_DEST_PORTS).bytes;
}

/** struct xt_mark_tginfo2 (MARK rev 2, `--set-xmark value/mask`). */
export function markTargetInfo(value: number, mask: number): Uint8Array {
  return new Blob(8).u32(0, value).u32(4, mask).bytes;
}

const NF_NAT_RANGE_MAP_IPS = 1;
const NF_NAT_RANGE_PROTO_SPECIFIED = 2;

/** struct nf_nat_range2 (DNAT rev 2) for one address and one port (port big-endian). */
export function dnatInfo(addr: Uint8Array, port: number): Uint8Array {
  return new Blob(48)
    .u32(0, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED)
    .set(4, addr)
    .set(20, addr)
    .be16(36, port)
    .be16(38, port)
    .bytes;
}

/**
 * MASQUERADE rev 0 without options: IPv4 takes struct nf_nat_ipv4_multi_range_compat (rangesize
 * 1, one zeroed range), IPv6 a zeroed struct nf_nat_range.
 */
export function masqueradeInfo(v6: boolean): Uint8Array {
  return v6 ? new Uint8Array(40) : new Blob(24).u32(0, 1).bytes;
}

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
