/**
 * The xt compat blobs iptables-nft writes (struct xt_*_info), read back into the typed model
 * (rule.ts). A blob in the exact shape a planner writes becomes its typed match or verdict;
 * any other blob becomes a foreign node spelled as iptables-save would print it, so doctor and
 * gc can name it while nothing ever takes it for one of ours.
 */
import { ipBytesString } from "../ip/index.ts";
import { cString, ROUTE_TYPES } from "../netlink/nft/expr.ts";
import type { Match, Verdict } from "./rule.ts";

const ADDRTYPES = ROUTE_TYPES.map((t) => t.toUpperCase());
const ADDRTYPE_LOCAL = 1 << ROUTE_TYPES.indexOf("local");

export const hex = (n: number): string => `0x${n.toString(16)}`;
// Byte arithmetic (a DataView costs ~2,500 instructions to create in the interpreter), with
// DataView's own refusal of a read past the end.
function inBounds(b: Uint8Array, off: number, size: number): void {
  if (!(off >= 0 && off + size <= b.byteLength)) throw new RangeError("Out of bounds access");
}
export const le32 = (b: Uint8Array, off: number): number => {
  inBounds(b, off, 4);
  return ((b[off] ?? 0) | ((b[off + 1] ?? 0) << 8) | ((b[off + 2] ?? 0) << 16) | ((b[off + 3] ?? 0) << 24)) >>> 0;
};
const le16 = (b: Uint8Array, off: number): number => {
  inBounds(b, off, 2);
  return (b[off] ?? 0) | ((b[off + 1] ?? 0) << 8);
};
export const be16 = (b: Uint8Array, off: number): number => {
  inBounds(b, off, 2);
  return ((b[off] ?? 0) << 8) | (b[off + 1] ?? 0);
};

const foreign = (tokens: string[]): Match => ({ kind: "foreign", tokens });

function multiport(info: Uint8Array): Match {
  const flags = info[0] ?? 0;
  const count = info[1] ?? 0;
  const ports: string[] = [];
  let ranges = false;
  for (let i = 0; i < count && i < 15; i++) {
    const p = le16(info, 2 + 2 * i);
    if ((info[32 + i] ?? 0) !== 0) {
      ports.push(`${p}:${le16(info, 2 + 2 * (i + 1))}`);
      ranges = true;
      i++;
    } else ports.push(String(p));
  }
  const inverted = (info[47] ?? 0) !== 0;
  if (flags === 1 && !ranges && !inverted && count > 0) return { kind: "dports", ports: ports.map(Number) };
  const opt = ["--sports", "--dports", "--ports"][flags];
  if (opt === undefined) return foreign(["?multiport"]);
  return foreign(["-m", "multiport", ...(inverted ? ["!"] : []), opt, ports.join(",")]);
}

function addrtype(info: Uint8Array): Match {
  const types = (mask: number): string => ADDRTYPES.filter((_, i) => mask & (1 << i)).join(",");
  const src = le16(info, 0);
  const dst = le16(info, 2);
  const flags = le32(info, 4);
  if (src === 0 && dst === ADDRTYPE_LOCAL && flags === 0) return { kind: "dst-local" };
  const out = ["-m", "addrtype"];
  if (src !== 0) out.push(...(flags & 1 ? ["!"] : []), "--src-type", types(src));
  if (dst !== 0) out.push(...(flags & 2 ? ["!"] : []), "--dst-type", types(dst));
  if (flags & 4) out.push("--limit-iface-in");
  if (flags & 8) out.push("--limit-iface-out");
  return foreign(out);
}

/** sctp/dccp port matches: dpts at 0, spts at 4; flag 1 source ports, 2 destination ports. */
function portMatch(name: string, info: Uint8Array, flags: number, inv: number): Match {
  const single = le16(info, 0) === le16(info, 2);
  if (flags === 2 && inv === 0 && single) return { kind: "dport", port: le16(info, 0) };
  const ports = (off: number): string => (le16(info, off) === le16(info, off + 2) ? String(le16(info, off)) : `${le16(info, off)}:${le16(info, off + 2)}`);
  const out = ["-m", name];
  if (flags & 1) out.push(...(inv & 1 ? ["!"] : []), "--sport", ports(4));
  if (flags & 2) out.push(...(inv & 2 ? ["!"] : []), "--dport", ports(0));
  return foreign((flags & ~3) === 0 ? out : [...out, `?${name}`]);
}

/** One xt match expression (name, revision, info blob). */
export function xtMatchOf(name: string, rev: number, info: Uint8Array): Match {
  if (name === "comment") return { kind: "comment", text: cString(info.subarray(0, 256)) ?? "" };
  if (name === "multiport" && rev === 1 && info.byteLength >= 48) return multiport(info);
  if (name === "addrtype" && rev === 1 && info.byteLength >= 8) return addrtype(info);
  // struct xt_sctp_info: ports, a 256-word chunk map, match type, flag info, then flags/invflags.
  if (name === "sctp" && info.byteLength >= 292) return portMatch("sctp", info, le32(info, 284), le32(info, 288));
  // struct xt_dccp_info: ports, then u16 flags and invflags (types and option are not spelled).
  if (name === "dccp" && info.byteLength >= 16) return portMatch("dccp", info, le16(info, 8), le16(info, 10));
  return foreign([`?match:${name}`]);
}

/** struct nf_nat_range(2) at `off`: one address and one port, or the text iptables-save prints. */
function natRange(info: Uint8Array, v6: boolean, off: number): { addr: string; port: number } | string | undefined {
  const flags = le32(info, off);
  const addrLen = v6 ? 16 : 4;
  const minA = info.subarray(off + 4, off + 4 + addrLen);
  const maxA = info.subarray(off + 20, off + 20 + addrLen);
  const minP = be16(info, off + 36);
  const maxP = be16(info, off + 38);
  if ((flags & ~3) !== 0) return undefined;
  const oneAddr = minA.every((b, i) => b === maxA[i]);
  if (flags === 3 && oneAddr && minP === maxP) return { addr: ipBytesString(minA), port: minP };
  let out = "";
  if (flags & 1) {
    const a = ipBytesString(minA);
    const range = oneAddr ? a : `${a}-${ipBytesString(maxA)}`;
    out = v6 && flags & 2 ? `[${range}]` : range;
  }
  if (flags & 2) out += `:${minP === maxP ? minP : `${minP}-${maxP}`}`;
  return out;
}

/** One xt target expression. */
export function xtTargetOf(name: string, info: Uint8Array, v6: boolean): Verdict {
  if (name === "MASQUERADE") {
    const body = v6 ? info : info.subarray(4);
    return body.every((b) => b === 0) ? { kind: "masquerade" } : { kind: "foreign", tokens: ["-j", "MASQUERADE", "?options"] };
  }
  if (name === "DNAT" && info.byteLength >= 40) {
    const to = natRange(info, v6, 0);
    if (typeof to === "object") return { kind: "dnat", ...to };
    return { kind: "foreign", tokens: to === undefined ? ["-j", "DNAT", "?options"] : ["-j", "DNAT", "--to-destination", to] };
  }
  if (name === "MARK" && info.byteLength >= 8) return { kind: "mark-set", value: le32(info, 0), mask: le32(info, 4) };
  return { kind: "foreign", tokens: ["-j", name, "?options"] };
}
