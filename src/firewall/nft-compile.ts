/**
 * Plan statements compiled to nf_tables expressions, for exactly the statement shapes whose
 * encoding is pinned by golden batches recorded from nft 1.0.6 itself (test/fixtures/netlink/
 * nft.json): address matches, tcp/udp/sctp ports, fib daddr type local, dnat to, masquerade and
 * verdicts, in ip, ip6 and inet tables. Anything else (user-written conditions, bridge-family
 * spoof checks) returns undefined and the whole transaction goes through `nft -f -` instead.
 */
import { parseCIDRLiteral, parseIPLiteral } from "../ip/index.ts";
import {
  NF_ACCEPT,
  NF_DROP,
  NFPROTO_INET,
  NFPROTO_IPV4,
  NFPROTO_IPV6,
  NFT_CMP_EQ,
  NFT_CMP_NEQ,
  NFT_FIB_RESULT_ADDRTYPE,
  NFT_GOTO,
  NFT_JUMP,
  NFT_META_L4PROTO,
  NFT_META_NFPROTO,
  NFT_NAT_DNAT,
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

const HOOKS: Readonly<Record<NftBaseChain["hook"], number>> = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 };
const L4: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132 };
const RTN_LOCAL = 2;
const NF_NAT_RANGE_PROTO_SPECIFIED = 2;

export function hookSpec(base: NftBaseChain): Pick<ChainSpec, "hook" | "type" | "policy"> {
  return {
    hook: { hooknum: HOOKS[base.hook], priority: base.priority },
    type: base.type,
    ...(base.policy === "accept" ? { policy: NF_ACCEPT } : {}),
  };
}


/** `ip|ip6 saddr|daddr [!=] addr[/prefix]`. */
function addressMatch(v6: boolean, field: string, neq: boolean, spec: string): Expr[] | undefined {
  if (field !== "saddr" && field !== "daddr") return undefined;
  const parsed = spec.includes("/") ? parseCIDRLiteral(spec) : { ip: parseIPLiteral(spec), prefix: v6 ? 128 : 32 };
  if (parsed?.ip === undefined) return undefined;
  const { ip: addr, prefix } = parsed;
  if ((addr.kind() === "ipv6") !== v6) return undefined;
  const offset = v6 ? (field === "saddr" ? 8 : 24) : field === "saddr" ? 12 : 16;
  return prefixMatch(NFT_PAYLOAD_NETWORK_HEADER, offset, v6 ? 16 : 4, neq ? NFT_CMP_NEQ : NFT_CMP_EQ, Uint8Array.from(addr.toByteArray()), prefix);
}

/** `dnat to A:P` / `dnat to [A]:P` in an ip or ip6 table. */
function dnat(tableFamily: number, target: string): Expr[] | undefined {
  const v6 = tableFamily === NFPROTO_IPV6;
  const m = v6 ? /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(target) : /^([0-9.]+):(\d+)$/.exec(target);
  if (!m || tableFamily === NFPROTO_INET) return undefined;
  const addr = parseIPLiteral(m[1] ?? "");
  if (addr === undefined || (addr.kind() === "ipv6") !== v6) return undefined;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return [
    new ExprBuilder("immediate").u32(NFTA_IMMEDIATE_DREG, 1).value(NFTA_IMMEDIATE_DATA, Uint8Array.from(addr.toByteArray())).build(),
    new ExprBuilder("immediate").u32(NFTA_IMMEDIATE_DREG, 2).value(NFTA_IMMEDIATE_DATA, be16(port)).build(),
    new ExprBuilder("nat")
      .u32(NFTA_NAT_TYPE, NFT_NAT_DNAT)
      .u32(NFTA_NAT_FAMILY, tableFamily)
      .u32(NFTA_NAT_REG_ADDR_MIN, 1)
      .u32(NFTA_NAT_REG_PROTO_MIN, 2)
      .u32(NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED)
      .build(),
  ];
}

/** Expressions for one rule's statement tokens in a table of `tableFamily`, or undefined. */
export function compileRule(tableFamily: number, tokens: readonly string[]): Expr[] | undefined {
  if (tableFamily !== NFPROTO_IPV4 && tableFamily !== NFPROTO_IPV6 && tableFamily !== NFPROTO_INET) return undefined;
  const out: Expr[] = [];
  let nfproto: number | undefined;
  for (let i = 0; i < tokens.length; ) {
    const t = tokens[i];
    const next = tokens[i + 1];
    if ((t === "ip" || t === "ip6") && next !== undefined) {
      const v6 = t === "ip6";
      const proto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
      if (tableFamily === NFPROTO_INET) {
        if (nfproto === undefined) out.push(metaLoad(NFT_META_NFPROTO), cmp(NFT_CMP_EQ, Uint8Array.of(proto)));
        else if (nfproto !== proto) return undefined;
        nfproto = proto;
      } else if (tableFamily !== proto) return undefined;
      const neq = tokens[i + 2] === "!=";
      const spec = tokens[i + (neq ? 3 : 2)];
      const m = spec === undefined ? undefined : addressMatch(v6, next, neq, spec);
      if (!m) return undefined;
      out.push(...m);
      i += neq ? 4 : 3;
    } else if (t !== undefined && L4[t] !== undefined && next === "dport" && tableFamily !== NFPROTO_INET) {
      const port = Number(tokens[i + 2]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
      out.push(metaLoad(NFT_META_L4PROTO), cmp(NFT_CMP_EQ, Uint8Array.of(L4[t] ?? 0)), payloadLoad(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), cmp(NFT_CMP_EQ, be16(port)));
      i += 3;
    } else if (t === "fib" && next === "daddr" && tokens[i + 2] === "type" && tokens[i + 3] === "local") {
      out.push(
        new ExprBuilder("fib").u32(NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR).u32(NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE).u32(NFTA_FIB_DREG, NFT_REG_1).build(),
        cmp(NFT_CMP_EQ, u32le(RTN_LOCAL)),
      );
      i += 4;
    } else if (t === "dnat" && next === "to" && tokens[i + 2] !== undefined) {
      const d = dnat(tableFamily, tokens[i + 2] ?? "");
      if (!d) return undefined;
      out.push(...d);
      i += 3;
    } else if (t === "masquerade") {
      out.push(new ExprBuilder("masq").build());
      i++;
    } else if (t === "return" || t === "accept" || t === "drop") {
      out.push(verdict(t === "return" ? NFT_RETURN : t === "accept" ? NF_ACCEPT : NF_DROP));
      i++;
    } else if ((t === "jump" || t === "goto") && next !== undefined && /^[A-Za-z0-9_.-]+$/.test(next)) {
      out.push(verdict(t === "jump" ? NFT_JUMP : NFT_GOTO, next));
      i += 2;
    } else {
      return undefined;
    }
  }
  return out.length > 0 ? out : undefined;
}
