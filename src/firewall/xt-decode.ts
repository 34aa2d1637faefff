/**
 * Reads a rule of an iptables-nft table (dumped over netlink) back as the argv tokens
 * `iptables-save` prints for it, so the plans written against `iptables-save` work unchanged on a
 * netlink read. Covers what iptables-nft 1.8 emits for the rules CNI plugins write: address and
 * protocol matches as native payload/meta expressions, port matches, `mark`, and xt matches and
 * targets (comment, multiport, addrtype, MARK, DNAT, MASQUERADE). Anything else becomes a token
 * that starts with `?`, which equals nothing a plan asks for: an unknown rule is never mistaken
 * for one of ours, and its jump target is still read (ruleTarget).
 */
import { ipBytesString } from "../ip/index.ts";
import type { Expr } from "../netlink/nft/expr.ts";
import { cString, get, getU32, maskPrefix, readCmp, readData, readFibDaddrType, readVerdict, ROUTE_TYPES } from "../netlink/nft/expr.ts";
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

const PROTO_NAMES: Readonly<Record<number, string>> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp", 132: "sctp", 136: "udplite", 33: "dccp" };
const ADDRTYPES = ROUTE_TYPES.map((t) => t.toUpperCase());

interface Header {
  src?: string[];
  dst?: string[];
  iif?: string[];
  oif?: string[];
  proto?: string[];
}

function bang(op: number): string[] {
  return op === NFT_CMP_NEQ ? ["!"] : [];
}

function formatAddr(bytes: Uint8Array, full: number, prefix: number): string {
  const padded = new Uint8Array(full);
  padded.set(bytes.subarray(0, full));
  return `${ipBytesString(padded)}/${prefix}`;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const le32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
const le16 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(off, true);
const be16 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(off, false);

function xtMatch(name: string, rev: number, info: Uint8Array): string[] {
  if (name === "comment") return ["-m", "comment", "--comment", cString(info.subarray(0, 256)) ?? ""];
  if (name === "multiport" && rev === 1 && info.byteLength >= 48) {
    const flags = info[0] ?? 0;
    const count = info[1] ?? 0;
    const ports: string[] = [];
    for (let i = 0; i < count && i < 15; i++) {
      const p = le16(info, 2 + 2 * i);
      if ((info[32 + i] ?? 0) !== 0) {
        ports.push(`${p}:${le16(info, 2 + 2 * (i + 1))}`);
        i++;
      } else ports.push(String(p));
    }
    const opt = ["--sports", "--dports", "--ports"][flags];
    if (opt === undefined) return ["?multiport"];
    return ["-m", "multiport", ...((info[47] ?? 0) !== 0 ? ["!"] : []), opt, ports.join(",")];
  }
  if (name === "addrtype" && rev === 1 && info.byteLength >= 8) {
    const types = (mask: number): string => ADDRTYPES.filter((_, i) => mask & (1 << i)).join(",");
    const src = le16(info, 0);
    const dst = le16(info, 2);
    const flags = le32(info, 4);
    const out = ["-m", "addrtype"];
    if (src !== 0) out.push(...(flags & 1 ? ["!"] : []), "--src-type", types(src));
    if (dst !== 0) out.push(...(flags & 2 ? ["!"] : []), "--dst-type", types(dst));
    if (flags & 4) out.push("--limit-iface-in");
    if (flags & 8) out.push("--limit-iface-out");
    return out;
  }
  if (name === "sctp" && info.byteLength >= 292) {
    // struct xt_sctp_info: ports, a 256-word chunk map, match type, flag info, then flags/invflags.
    return portMatch("sctp", info, le32(info, 284), le32(info, 288));
  }
  if (name === "dccp" && info.byteLength >= 16) {
    // struct xt_dccp_info: ports, then u16 flags and invflags (types and option are not spelled).
    return portMatch("dccp", info, le16(info, 8), le16(info, 10));
  }
  return [`?match:${name}`];
}

/** sctp/dccp port matches: dpts at 0, spts at 4; flag 1 source ports, 2 destination ports. */
function portMatch(name: string, info: Uint8Array, flags: number, inv: number): string[] {
  const ports = (off: number): string => (le16(info, off) === le16(info, off + 2) ? String(le16(info, off)) : `${le16(info, off)}:${le16(info, off + 2)}`);
  const out = ["-m", name];
  if (flags & 1) out.push(...(inv & 1 ? ["!"] : []), "--sport", ports(4));
  if (flags & 2) out.push(...(inv & 2 ? ["!"] : []), "--dport", ports(0));
  return (flags & ~3) === 0 ? out : [...out, `?${name}`];
}

function ifname(value: Uint8Array): string {
  const nul = value.indexOf(0);
  return nul >= 0 ? (cString(value) ?? "") : `${cString(value) ?? ""}+`;
}

function natRange(info: Uint8Array, v6: boolean, off: number): string | undefined {
  const flags = le32(info, off);
  const addrLen = v6 ? 16 : 4;
  const minA = info.subarray(off + 4, off + 4 + addrLen);
  const maxA = info.subarray(off + 20, off + 20 + addrLen);
  const minP = be16(info, off + 36);
  const maxP = be16(info, off + 38);
  if ((flags & ~3) !== 0) return undefined;
  let out = "";
  if (flags & 1) {
    const a = ipBytesString(minA);
    const range = minA.every((b, i) => b === maxA[i]) ? a : `${a}-${ipBytesString(maxA)}`;
    out = v6 && flags & 2 ? `[${range}]` : range;
  }
  if (flags & 2) out += `:${minP === maxP ? minP : `${minP}-${maxP}`}`;
  return out;
}

function xtTarget(name: string, info: Uint8Array, v6: boolean): string[] {
  if (name === "MASQUERADE") {
    const body = v6 ? info : info.subarray(4);
    return body.every((b) => b === 0) ? ["-j", "MASQUERADE"] : ["-j", "MASQUERADE", "?options"];
  }
  if (name === "DNAT" && info.byteLength >= 40) {
    const to = natRange(info, v6, 0);
    return to === undefined ? ["-j", "DNAT", "?options"] : ["-j", "DNAT", "--to-destination", to];
  }
  if (name === "MARK" && info.byteLength >= 8) return ["-j", "MARK", "--set-xmark", `${hex(le32(info, 0))}/${hex(le32(info, 4))}`];
  return ["-j", name, "?options"];
}

/** iptables spells the nft verdicts as targets: `-j ACCEPT`, `-j <chain>`, `-g <chain>`. */
function verdict(e: Expr): string[] | undefined {
  const v = readVerdict(e);
  if (v === undefined) return undefined;
  if (v.chain === undefined) return ["-j", v.word.toUpperCase()];
  return [v.word === "goto" ? "-g" : "-j", v.chain];
}

/** `iptables-save` tokens of one rule of table `family` (NFPROTO_IPV4 / NFPROTO_IPV6). */
export function xtRuleArgs(family: number, exprs: readonly Expr[]): RuleArgs {
  const v6 = family === NFPROTO_IPV6;
  const full = v6 ? 16 : 4;
  const srcOff = v6 ? 8 : 12;
  const dstOff = v6 ? 24 : 16;
  const header: Header = {};
  const matches: string[] = [];
  let target: string[] = [];
  let proto = "";
  for (let i = 0; i < exprs.length; i++) {
    const e = exprs[i] as Expr;
    const next = exprs[i + 1];
    if (e.name === "counter") continue;
    if (e.name === "payload") {
      const base = getU32(e, NFTA_PAYLOAD_BASE);
      const offset = getU32(e, NFTA_PAYLOAD_OFFSET);
      const len = getU32(e, NFTA_PAYLOAD_LEN) ?? 0;
      let mask: Uint8Array | undefined;
      let cmpAt = i + 1;
      if (next?.name === "bitwise") {
        mask = readData(get(next, NFTA_BITWISE_MASK)).value;
        cmpAt = i + 2;
      }
      const c = readCmp(exprs[cmpAt]);
      if (c && base === NFT_PAYLOAD_NETWORK_HEADER && (offset === srcOff || offset === dstOff)) {
        const addr = [...bang(c.op), offset === srcOff ? "-s" : "-d", formatAddr(c.value, full, mask ? maskPrefix(mask) : len * 8)];
        if (offset === srcOff) header.src = addr;
        else header.dst = addr;
        i = cmpAt;
        continue;
      }
      if (c && !mask && base === NFT_PAYLOAD_TRANSPORT_HEADER && len === 2 && (offset === 0 || offset === 2) && proto !== "") {
        matches.push("-m", proto, ...bang(c.op), offset === 0 ? "--sport" : "--dport", String(be16(c.value, 0)));
        i = cmpAt;
        continue;
      }
      matches.push("?payload");
      continue;
    }
    if (e.name === "meta") {
      const key = getU32(e, NFTA_META_KEY);
      const c = readCmp(next);
      if (key === NFT_META_L4PROTO && c && c.op === NFT_CMP_EQ) {
        proto = PROTO_NAMES[c.value[0] ?? 0] ?? String(c.value[0]);
        header.proto = ["-p", proto];
        i++;
        continue;
      }
      if ((key === NFT_META_IIFNAME || key === NFT_META_OIFNAME) && c) {
        const spec = [...bang(c.op), key === NFT_META_IIFNAME ? "-i" : "-o", ifname(c.value)];
        if (key === NFT_META_IIFNAME) header.iif = spec;
        else header.oif = spec;
        i++;
        continue;
      }
      const mc = readCmp(exprs[i + 2]);
      if (key === NFT_META_MARK && next?.name === "bitwise" && mc) {
        const m = readData(get(next, NFTA_BITWISE_MASK)).value;
        const value = le32(mc.value, 0);
        const maskValue = m ? le32(m, 0) : 0xffffffff;
        const spec = maskValue === 0xffffffff ? hex(value) : `${hex(value)}/${hex(maskValue)}`;
        matches.push("-m", "mark", ...bang(mc.op), "--mark", spec);
        i += 2;
        continue;
      }
      matches.push("?meta");
      continue;
    }
    if (e.name === "fib") {
      const f = readFibDaddrType(e, next);
      if (f) {
        matches.push("-m", "addrtype", ...bang(f.op), "--dst-type", f.type.toUpperCase());
        i++;
        continue;
      }
      matches.push("?fib");
      continue;
    }
    if (e.name === "match") {
      matches.push(...xtMatch(cString(get(e, NFTA_MATCH_NAME)) ?? "", getU32(e, NFTA_MATCH_REV) ?? 0, get(e, NFTA_MATCH_INFO) ?? new Uint8Array()));
      continue;
    }
    if (e.name === "target") {
      target = xtTarget(cString(get(e, NFTA_TARGET_NAME)) ?? "", get(e, NFTA_TARGET_INFO) ?? new Uint8Array(), v6);
      continue;
    }
    const v = verdict(e);
    if (v) {
      target = v;
      continue;
    }
    matches.push(`?${e.name}`);
  }
  return [...(header.src ?? []), ...(header.dst ?? []), ...(header.iif ?? []), ...(header.oif ?? []), ...(header.proto ?? []), ...matches, ...target];
}
