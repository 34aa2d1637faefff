/**
 * The nft layout's typed rules (rule.ts) rendered to nf_tables expressions, exactly as nft 1.0.6
 * encodes the same statements (golden batches recorded from nft itself: test/fixtures/netlink/
 * nft.json): address prefixes, tcp/udp/sctp/dccp destination ports, interface names, source
 * MAC, fib daddr type local, dnat to, masquerade and verdicts, in ip, ip6, inet and bridge
 * tables. A rule carrying the user's conditions (or anything read as foreign) has no netlink
 * form here: undefined, and the whole transaction goes through `nft -f -` instead.
 */
import { parseCIDRLiteral } from "../ip/index.ts";
import {
  NF_ACCEPT,
  NF_DROP,
  NFPROTO_BRIDGE,
  NFPROTO_INET,
  NFPROTO_IPV4,
  NFPROTO_IPV6,
  NFT_CMP_EQ,
  NFT_CMP_NEQ,
  NFT_FIB_RESULT_ADDRTYPE,
  NFT_GOTO,
  NFT_JUMP,
  NFT_META_IIFNAME,
  NFT_META_L4PROTO,
  NFT_META_NFPROTO,
  NFT_META_OIFNAME,
  NFT_NAT_DNAT,
  NFT_PAYLOAD_LL_HEADER,
  NFT_PAYLOAD_NETWORK_HEADER,
  NFT_PAYLOAD_TRANSPORT_HEADER,
  NFT_REG_1,
  NFT_RETURN,
  NFTA_FIB_DREG,
  NFTA_FIB_F_DADDR,
  NFTA_FIB_FLAGS,
  NFTA_FIB_RESULT,
  NFTA_IMMEDIATE_DATA,
  NFTA_IMMEDIATE_DREG,
  NFTA_NAT_FAMILY,
  NFTA_NAT_FLAGS,
  NFTA_NAT_REG_ADDR_MIN,
  NFTA_NAT_REG_PROTO_MIN,
  NFTA_NAT_TYPE,
} from "../netlink/nft/constants.ts";
import { type Expr, ExprBuilder } from "../netlink/nft/expr.ts";
import { be16, cmp, metaLoad, payloadLoad, prefixMatch, u32le, verdict } from "../netlink/nft/xt.ts";
import type { ChainSpec } from "../netlink/nft/messages.ts";
import type { NftBaseChain } from "./model.ts";
import type { Iface, Match, Prefix, Rule, Verdict } from "./rule.ts";

const HOOKS: Readonly<Record<NftBaseChain["hook"], number>> = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 };
/** IP protocol numbers of the protocols a port match is written for. */
export const L4_NUMBER: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, dccp: 33 };
/** A jump or goto target the layout writes (and reads back from `nft list`). */
export const JUMP_TARGET = /^[A-Za-z0-9_.-]+$/;
const RTN_LOCAL = 2;
const NF_NAT_RANGE_PROTO_SPECIFIED = 2;
const IFNAMSIZ = 16;
const enc = new TextEncoder();

export function hookSpec(base: NftBaseChain): Pick<ChainSpec, "hook" | "type" | "policy"> {
  return {
    hook: { hooknum: HOOKS[base.hook], priority: base.priority },
    type: base.type,
    ...(base.policy === "accept" ? { policy: NF_ACCEPT } : {}),
  };
}

/** A prefix's address bytes and length (`10.0.0.0/24`, `fd00::2/128`), or undefined. */
export function prefixBytes(p: Prefix): { bytes: Uint8Array; prefix: number; v6: boolean } | undefined {
  const c = parseCIDRLiteral(p.cidr);
  if (c === undefined) return undefined;
  const bytes = Uint8Array.from(c.ip.toByteArray());
  return { bytes, prefix: c.prefix, v6: bytes.byteLength === 16 };
}

/** `iifname "x"`: nft compares the name NUL-padded to IFNAMSIZ. */
export function ifnameBytes(name: string): Uint8Array | undefined {
  const b = enc.encode(name);
  if (b.byteLength === 0 || b.byteLength >= IFNAMSIZ || b.includes(0)) return undefined;
  const out = new Uint8Array(IFNAMSIZ);
  out.set(b);
  return out;
}

export function macBytes(mac: string): Uint8Array | undefined {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) return undefined;
  return Uint8Array.from(mac.split(":"), (h) => Number.parseInt(h, 16));
}

const op = (not: boolean | undefined): number => (not ? NFT_CMP_NEQ : NFT_CMP_EQ);

class Compiler {
  readonly out: Expr[] = [];
  #nfproto: number | undefined;
  constructor(readonly family: number) {}

  /** `ip|ip6 saddr|daddr [!=] prefix`, with the nfproto dependency nft adds in inet tables. */
  address(p: Prefix, field: "saddr" | "daddr"): boolean {
    const a = prefixBytes(p);
    if (a === undefined) return false;
    const proto = a.v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
    if (this.family === NFPROTO_INET) {
      if (this.#nfproto === undefined) this.out.push(metaLoad(NFT_META_NFPROTO), cmp(NFT_CMP_EQ, Uint8Array.of(proto)));
      else if (this.#nfproto !== proto) return false;
      this.#nfproto = proto;
    } else if (this.family !== proto) return false;
    const offset = a.v6 ? (field === "saddr" ? 8 : 24) : field === "saddr" ? 12 : 16;
    this.out.push(...prefixMatch(NFT_PAYLOAD_NETWORK_HEADER, offset, a.v6 ? 16 : 4, op(p.not), a.bytes, a.prefix));
    return true;
  }

  iface(i: Iface, key: number): boolean {
    const b = ifnameBytes(i.name);
    if (b === undefined) return false;
    this.out.push(metaLoad(key), cmp(op(i.not), b));
    return true;
  }

  /** `meta l4proto P`, then (with `port`) `P dport N` on it. */
  l4(proto: string, port?: number): boolean {
    const n = L4_NUMBER[proto];
    if (n === undefined || this.family === NFPROTO_BRIDGE) return false;
    this.out.push(metaLoad(NFT_META_L4PROTO), cmp(NFT_CMP_EQ, Uint8Array.of(n)));
    if (port === undefined) return true;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
    this.out.push(payloadLoad(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), cmp(NFT_CMP_EQ, be16(port)));
    return true;
  }

  match(m: Match, proto: string | undefined): boolean {
    switch (m.kind) {
      case "dport":
        return proto !== undefined && this.l4(proto, m.port);
      case "dst-local":
        if (this.family === NFPROTO_BRIDGE) return false;
        this.out.push(
          new ExprBuilder("fib").u32(NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR).u32(NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE).u32(NFTA_FIB_DREG, NFT_REG_1).build(),
          cmp(NFT_CMP_EQ, u32le(RTN_LOCAL)),
        );
        return true;
      case "ether-saddr": {
        const mac = macBytes(m.mac);
        if (mac === undefined || this.family !== NFPROTO_BRIDGE) return false;
        this.out.push(payloadLoad(NFT_PAYLOAD_LL_HEADER, 6, 6), cmp(NFT_CMP_EQ, mac));
        return true;
      }
      // A comment is the rule's userdata (the op's comment), never a statement; the rest has no form here.
      default:
        return false;
    }
  }

  verdict(v: Verdict): boolean {
    switch (v.kind) {
      case "accept":
      case "drop":
      case "return":
        this.out.push(verdict(v.kind === "accept" ? NF_ACCEPT : v.kind === "drop" ? NF_DROP : NFT_RETURN));
        return true;
      case "jump":
      case "goto":
        if (!JUMP_TARGET.test(v.chain)) return false;
        this.out.push(verdict(v.kind === "jump" ? NFT_JUMP : NFT_GOTO, v.chain));
        return true;
      case "masquerade":
        if (this.family === NFPROTO_BRIDGE) return false;
        this.out.push(new ExprBuilder("masq").build());
        return true;
      case "dnat":
        return this.dnat(v.addr, v.port);
      default:
        return false;
    }
  }

  /** `dnat to A:P` / `dnat to [A]:P`, in an ip or ip6 table. */
  dnat(addr: string, port: number): boolean {
    const a = prefixBytes({ cidr: `${addr}/${addr.includes(":") ? 128 : 32}` });
    if (a === undefined || this.family !== (a.v6 ? NFPROTO_IPV6 : NFPROTO_IPV4)) return false;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
    this.out.push(
      new ExprBuilder("immediate").u32(NFTA_IMMEDIATE_DREG, 1).value(NFTA_IMMEDIATE_DATA, a.bytes).build(),
      new ExprBuilder("immediate").u32(NFTA_IMMEDIATE_DREG, 2).value(NFTA_IMMEDIATE_DATA, be16(port)).build(),
      new ExprBuilder("nat")
        .u32(NFTA_NAT_TYPE, NFT_NAT_DNAT)
        .u32(NFTA_NAT_FAMILY, this.family)
        .u32(NFTA_NAT_REG_ADDR_MIN, 1)
        .u32(NFTA_NAT_REG_PROTO_MIN, 2)
        .u32(NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED)
        .build(),
    );
    return true;
  }
}

/**
 * The expressions of one rule in a table of `tableFamily` (NFPROTO_*), or undefined when it has
 * no netlink form (user conditions, a foreign part, a shape the family cannot carry). A protocol
 * is written where its port match stands (nft's `tcp dport N`), or after the interfaces alone.
 */
export function compileRule(tableFamily: number, rule: Rule): Expr[] | undefined {
  const c = new Compiler(tableFamily);
  const ok =
    (rule.src === undefined || c.address(rule.src, "saddr")) &&
    (rule.dst === undefined || c.address(rule.dst, "daddr")) &&
    (rule.iif === undefined || c.iface(rule.iif, NFT_META_IIFNAME)) &&
    (rule.oif === undefined || c.iface(rule.oif, NFT_META_OIFNAME)) &&
    (rule.proto === undefined || rule.matches.some((m) => m.kind === "dport") || c.l4(rule.proto)) &&
    rule.matches.every((m) => c.match(m, rule.proto)) &&
    c.verdict(rule.verdict);
  return ok ? c.out : undefined;
}
