/**
 * A kernel rule described as nft would print it, best effort, for a rule the typed decoder
 * (nft-decode.ts) could not read: what doctor and the logs show of a foreign rule. Each
 * expression it does not know becomes a `?name` token. Nothing is planned from this text.
 */
import { ipBytesString } from "../ip/index.ts";
import type { Expr } from "../netlink/nft/expr.ts";
import { cString, get, getU32, maskPrefix, readCmp, readData, readFibDaddrType, readVerdict } from "../netlink/nft/expr.ts";
import {
  NFPROTO_BRIDGE,
  NFPROTO_IPV4,
  NFPROTO_IPV6,
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
  NFTA_NAT_FAMILY,
  NFTA_NAT_REG_ADDR_MIN,
  NFTA_NAT_REG_PROTO_MIN,
  NFTA_NAT_TYPE,
  NFTA_PAYLOAD_BASE,
  NFTA_PAYLOAD_LEN,
  NFTA_PAYLOAD_OFFSET,
} from "../netlink/nft/constants.ts";

const L4: Readonly<Record<number, string>> = { 6: "tcp", 17: "udp", 132: "sctp", 33: "dccp", 136: "udplite" };

function cmp(e: Expr | undefined): { neq: boolean; value: Uint8Array } | undefined {
  const c = readCmp(e);
  return c && { neq: c.op === NFT_CMP_NEQ, value: c.value };
}

/** One statement's text, and how many expressions it consumed. */
type Step = { text: string[]; used: number };

function payload(e: Expr, rest: readonly (Expr | undefined)[], proto: string): Step | undefined {
  const base = getU32(e, NFTA_PAYLOAD_BASE);
  const offset = getU32(e, NFTA_PAYLOAD_OFFSET) ?? -1;
  const len = getU32(e, NFTA_PAYLOAD_LEN) ?? 0;
  const masked = rest[0]?.name === "bitwise";
  const c = cmp(rest[masked ? 1 : 0]);
  if (!c) return undefined;
  const used = masked ? 3 : 2;
  const op = c.neq ? ["!="] : [];
  if (base === NFT_PAYLOAD_NETWORK_HEADER) {
    const fields: Record<string, [string, number]> = { "12": ["ip saddr", 4], "16": ["ip daddr", 4] };
    const v6: Record<string, [string, number]> = { "8": ["ip6 saddr", 16], "24": ["ip6 daddr", 16] };
    const f = (proto === "ip6" ? v6 : proto === "ip" ? fields : { ...fields, ...v6 })[String(offset)];
    if (!f) return undefined;
    const full = new Uint8Array(f[1]);
    full.set(c.value.subarray(0, f[1]));
    const mask = masked && rest[0] ? readData(get(rest[0], NFTA_BITWISE_MASK)).value : undefined;
    const prefix = mask ? maskPrefix(mask) : len * 8;
    const addr = prefix === f[1] * 8 ? ipBytesString(full) : `${ipBytesString(full)}/${prefix}`;
    return { text: [...f[0].split(" "), ...op, addr], used };
  }
  if (base === NFT_PAYLOAD_TRANSPORT_HEADER && len === 2 && !masked && (offset === 0 || offset === 2) && L4[Number(proto)]) {
    const port = new DataView(c.value.buffer, c.value.byteOffset, 2).getUint16(0, false);
    return { text: [L4[Number(proto)] ?? "", offset === 0 ? "sport" : "dport", ...op, String(port)], used };
  }
  if (base === NFT_PAYLOAD_LL_HEADER && len === 6 && (offset === 6 || offset === 0) && !masked) {
    const mac = Array.from(c.value.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
    return { text: ["ether", offset === 6 ? "saddr" : "daddr", ...op, mac], used };
  }
  return undefined;
}

function verdict(e: Expr): string[] | undefined {
  const v = readVerdict(e);
  return v && (v.chain === undefined ? [v.word] : [v.word, v.chain]);
}

/** `dnat to <addr>[:port]` from the immediates that loaded its registers. */
function nat(e: Expr, regs: ReadonlyMap<number, Uint8Array>, tableFamily: number): string[] | undefined {
  if (getU32(e, NFTA_NAT_TYPE) !== NFT_NAT_DNAT) return undefined;
  const fam = getU32(e, NFTA_NAT_FAMILY);
  const addr = regs.get(getU32(e, NFTA_NAT_REG_ADDR_MIN) ?? -1);
  const port = regs.get(getU32(e, NFTA_NAT_REG_PROTO_MIN) ?? -1);
  if (!addr) return undefined;
  const v6 = fam === NFPROTO_IPV6;
  const a = ipBytesString(addr.subarray(0, v6 ? 16 : 4));
  const p = port ? new DataView(port.buffer, port.byteOffset, 2).getUint16(0, false) : undefined;
  const where = p === undefined ? a : v6 ? `[${a}]:${p}` : `${a}:${p}`;
  const famWord = tableFamily === NFPROTO_IPV4 || tableFamily === NFPROTO_IPV6 ? [] : [v6 ? "ip6" : "ip"];
  return ["dnat", ...famWord, "to", where];
}

/** The statements of one rule of a table of `tableFamily` (NFPROTO_*), as `nft list` prints them. */
export function describeNftExprs(tableFamily: number, exprs: readonly Expr[]): string {
  const out: string[] = [];
  const regs = new Map<number, Uint8Array>();
  let proto = tableFamily === NFPROTO_IPV4 ? "ip" : tableFamily === NFPROTO_IPV6 ? "ip6" : "";
  for (let i = 0; i < exprs.length; ) {
    const e = exprs[i] as Expr;
    const rest = [exprs[i + 1], exprs[i + 2]];
    if (e.name === "meta") {
      const key = getU32(e, NFTA_META_KEY);
      const c = cmp(rest[0]);
      if (c && key === NFT_META_NFPROTO && tableFamily !== NFPROTO_BRIDGE) {
        // The dependency nft adds in inet tables before an ip/ip6 match; it prints nothing.
        proto = c.value[0] === NFPROTO_IPV6 ? "ip6" : "ip";
        i += 2;
        continue;
      }
      if (c && key === NFT_META_L4PROTO) {
        const next = exprs[i + 2];
        proto = String(c.value[0] ?? 0);
        const nextIsPort = next?.name === "payload" && getU32(next, NFTA_PAYLOAD_BASE) === NFT_PAYLOAD_TRANSPORT_HEADER;
        if (!nextIsPort) out.push("meta", "l4proto", ...(c.neq ? ["!="] : []), L4[c.value[0] ?? 0] ?? String(c.value[0]));
        i += 2;
        continue;
      }
      if (c && (key === NFT_META_IIFNAME || key === NFT_META_OIFNAME)) {
        const name = cString(c.value) ?? "";
        const wildcard = c.value.indexOf(0) < 0 && c.value.byteLength < 16;
        out.push(key === NFT_META_IIFNAME ? "iifname" : "oifname", ...(c.neq ? ["!="] : []), JSON.stringify(wildcard ? `${name}*` : name));
        i += 2;
        continue;
      }
    } else if (e.name === "payload") {
      const s = payload(e, rest, proto);
      if (s) {
        out.push(...s.text);
        i += s.used;
        continue;
      }
    } else if (e.name === "fib") {
      const f = readFibDaddrType(e, rest[0]);
      if (f) {
        out.push("fib", "daddr", "type", ...(f.op === NFT_CMP_NEQ ? ["!="] : []), f.type);
        i += 2;
        continue;
      }
    } else if (e.name === "immediate") {
      const v = verdict(e);
      if (v) {
        out.push(...v);
        i++;
        continue;
      }
      const value = readData(get(e, NFTA_IMMEDIATE_DATA)).value;
      const reg = getU32(e, NFTA_IMMEDIATE_DREG);
      if (value && reg !== undefined) {
        regs.set(reg, value);
        i++;
        continue;
      }
    } else if (e.name === "nat") {
      const s = nat(e, regs, tableFamily);
      if (s) {
        out.push(...s);
        i++;
        continue;
      }
    } else if (e.name === "masq") {
      out.push("masquerade");
      i++;
      continue;
    } else if (e.name === "counter") {
      out.push("counter");
      i++;
      continue;
    }
    out.push(`?${e.name}`);
    i++;
  }
  return out.join(" ");
}
