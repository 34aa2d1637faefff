/**
 * The statements of a native nf_tables rule, read from its expressions once for every reader of
 * the nft layout: the typed decoder (nft-decode.ts) and the text for foreign rules
 * (nft-describe.ts). A statement is what nft writes as a few expressions (a payload load, maybe
 * a bitwise mask, a cmp; a meta load and a cmp; an immediate and the nat that reads its
 * registers), named here without deciding what it means to the model or how it prints; each
 * reader judges the statement in its own context (table family, what came before). A new match
 * shape is taught here once.
 */
import { cString, type Expr, get, getU32, maskPrefix, readCmp, readData, readFibDaddrType, readVerdict, type VerdictWord } from "../netlink/nft/expr.ts";
import {
  NFPROTO_IPV6,
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
  NFTA_NAT_FAMILY,
  NFTA_NAT_REG_ADDR_MIN,
  NFTA_NAT_REG_PROTO_MIN,
  NFTA_NAT_TYPE,
  NFTA_PAYLOAD_BASE,
  NFTA_PAYLOAD_LEN,
  NFTA_PAYLOAD_OFFSET,
} from "../netlink/nft/constants.ts";

/** One statement; `op` is the cmp's NFT_CMP_* as the kernel holds it. */
export type NftStatement =
  | { readonly kind: "nfproto"; readonly family: number; readonly op: number }
  | { readonly kind: "l4proto"; readonly proto: number; readonly op: number }
  /** `wildcard`: nft's `eth*`, a name compared without its NUL. */
  | { readonly kind: "iface"; readonly dir: "iif" | "oif"; readonly name: string; readonly wildcard: boolean; readonly op: number }
  /** `addr` padded to the family's full length; `prefix` from the mask, or the bytes compared. */
  | { readonly kind: "address"; readonly field: "saddr" | "daddr"; readonly v6: boolean; readonly addr: Uint8Array; readonly prefix: number; readonly op: number }
  | { readonly kind: "port"; readonly field: "sport" | "dport"; readonly port: number; readonly op: number }
  | { readonly kind: "ether"; readonly field: "saddr" | "daddr"; readonly mac: string; readonly op: number }
  | { readonly kind: "fib-daddr-type"; readonly type: string; readonly op: number }
  | { readonly kind: "verdict"; readonly word: VerdictWord; readonly chain?: string }
  /** An immediate that loads a data register (a nat reads it). */
  | { readonly kind: "load"; readonly reg: number; readonly value: Uint8Array }
  /** `addr` cut to the nat family's length; no `port` when no register carries one. */
  | { readonly kind: "dnat"; readonly family: number | undefined; readonly addr: Uint8Array; readonly port?: number }
  | { readonly kind: "masquerade" }
  | { readonly kind: "counter" };

/** A statement and how many expressions it spans. */
export type NftStatementRead = NftStatement & { readonly used: number };

/** Network header offsets of the address fields, IPv4 and IPv6. */
const ADDRESS_FIELDS: ReadonlyMap<number, { field: "saddr" | "daddr"; v6: boolean }> = new Map([
  [12, { field: "saddr", v6: false }],
  [16, { field: "daddr", v6: false }],
  [8, { field: "saddr", v6: true }],
  [24, { field: "daddr", v6: true }],
]);

const u16be = (b: Uint8Array): number => ((b[0] ?? 0) << 8) | (b[1] ?? 0);
const macText = (b: Uint8Array): string => Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, "0")).join(":");

/** Whether `e` loads from the transport header: nft then leaves the l4proto before it unprinted. */
export function loadsTransportHeader(e: Expr | undefined): boolean {
  return e?.name === "payload" && getU32(e, NFTA_PAYLOAD_BASE) === NFT_PAYLOAD_TRANSPORT_HEADER;
}

/** `payload [bitwise] cmp` at `i`: an address, a port or a MAC compared. */
function payload(e: Expr, exprs: readonly Expr[], i: number): NftStatementRead | undefined {
  const base = getU32(e, NFTA_PAYLOAD_BASE);
  const offset = getU32(e, NFTA_PAYLOAD_OFFSET) ?? -1;
  const len = getU32(e, NFTA_PAYLOAD_LEN) ?? 0;
  const bitwise = exprs[i + 1]?.name === "bitwise" ? exprs[i + 1] : undefined;
  const c = readCmp(exprs[i + (bitwise ? 2 : 1)]);
  if (!c) return undefined;
  const used = bitwise ? 3 : 2;
  const address = base === NFT_PAYLOAD_NETWORK_HEADER ? ADDRESS_FIELDS.get(offset) : undefined;
  if (address) {
    const addr = new Uint8Array(address.v6 ? 16 : 4);
    addr.set(c.value.subarray(0, addr.byteLength));
    const mask = bitwise ? readData(get(bitwise, NFTA_BITWISE_MASK)).value : undefined;
    return { kind: "address", ...address, addr, prefix: mask ? maskPrefix(mask) : len * 8, op: c.op, used };
  }
  if (bitwise) return undefined;
  if (base === NFT_PAYLOAD_TRANSPORT_HEADER && len === 2 && (offset === 0 || offset === 2)) {
    return { kind: "port", field: offset === 0 ? "sport" : "dport", port: u16be(c.value), op: c.op, used };
  }
  if (base === NFT_PAYLOAD_LL_HEADER && len === 6 && (offset === 0 || offset === 6)) {
    return { kind: "ether", field: offset === 0 ? "daddr" : "saddr", mac: macText(c.value), op: c.op, used };
  }
  return undefined;
}

/** `meta <key> cmp` at `i`, for the keys nft's statements of ours and iptables-nft's use. */
function meta(e: Expr, next: Expr | undefined): NftStatementRead | undefined {
  const key = getU32(e, NFTA_META_KEY);
  const c = readCmp(next);
  if (!c) return undefined;
  if (key === NFT_META_NFPROTO) return { kind: "nfproto", family: c.value[0] ?? 0, op: c.op, used: 2 };
  if (key === NFT_META_L4PROTO) return { kind: "l4proto", proto: c.value[0] ?? 0, op: c.op, used: 2 };
  if (key !== NFT_META_IIFNAME && key !== NFT_META_OIFNAME) return undefined;
  const wildcard = c.value.indexOf(0) < 0 && c.value.byteLength < 16;
  return { kind: "iface", dir: key === NFT_META_IIFNAME ? "iif" : "oif", name: cString(c.value) ?? "", wildcard, op: c.op, used: 2 };
}

function nat(e: Expr, regs: ReadonlyMap<number, Uint8Array>): NftStatementRead | undefined {
  const addr = regs.get(getU32(e, NFTA_NAT_REG_ADDR_MIN) ?? -1);
  const port = regs.get(getU32(e, NFTA_NAT_REG_PROTO_MIN) ?? -1);
  if (getU32(e, NFTA_NAT_TYPE) !== NFT_NAT_DNAT || addr === undefined) return undefined;
  const family = getU32(e, NFTA_NAT_FAMILY);
  const cut = addr.subarray(0, family === NFPROTO_IPV6 ? 16 : 4);
  return { kind: "dnat", family, addr: cut, ...(port === undefined ? {} : { port: u16be(port) }), used: 1 };
}

/**
 * Reads one rule's expressions statement by statement. The registers the rule's immediates load
 * are kept as they are read, so a nat read after them names the address and port it maps to.
 */
export class NftExprReader {
  readonly #regs = new Map<number, Uint8Array>();
  constructor(readonly exprs: readonly Expr[]) {}

  /** The statement that starts at `i`; undefined for an expression no statement here starts with. */
  at(i: number): NftStatementRead | undefined {
    const e = this.exprs[i];
    switch (e?.name) {
      case "payload":
        return payload(e, this.exprs, i);
      case "meta":
        return meta(e, this.exprs[i + 1]);
      case "fib": {
        const f = readFibDaddrType(e, this.exprs[i + 1]);
        return f && { kind: "fib-daddr-type", type: f.type, op: f.op, used: 2 };
      }
      case "immediate": {
        const v = readVerdict(e);
        if (v) return { kind: "verdict", ...v, used: 1 };
        const value = readData(get(e, NFTA_IMMEDIATE_DATA)).value;
        const reg = getU32(e, NFTA_IMMEDIATE_DREG);
        if (value === undefined || reg === undefined) return undefined;
        this.#regs.set(reg, value);
        return { kind: "load", reg, value, used: 1 };
      }
      case "nat":
        return nat(e, this.#regs);
      case "masq":
        return { kind: "masquerade", used: 1 };
      case "counter":
        return { kind: "counter", used: 1 };
      default:
        return undefined;
    }
  }
}
