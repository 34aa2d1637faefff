/**
 * Go's `%v` renderings the reference embeds in a few error messages (route and address
 * structs), so the messages read the same.
 */
import type { IpConfig, Route } from "../cni/index.ts";
import { type Addr, parseCIDR, ipString } from "../ip/index.ts";

function maskHex(prefix: number, bytes: number): string {
  let out = "";
  for (let i = 0; i < bytes; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out += (bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff).toString(16).padStart(2, "0");
  }
  return out;
}

/** A net.IPNet as types.Route keeps it: the address as written, a 4- or 16-byte mask. */
function ipNetParts(cidr: string, sixteenByteV4Mask = false): { ip: string; mask: string; v4: boolean } {
  const c = parseCIDR(cidr);
  if (c === undefined) return { ip: cidr, mask: "", v4: false };
  const v4 = c.ip.kind() === "ipv4";
  let mask = maskHex(c.prefix, v4 ? 4 : 16);
  if (v4 && sixteenByteV4Mask) mask = `00000000000000000000ffff${mask}`;
  return { ip: ipString(c.ip as Addr), mask, v4 };
}

/** `%v` of a net.IPNet value: `{10.0.0.0 ffff0000}`. */
export function goIpNetValue(cidr: string, appendedDefault = false): string {
  const p = ipNetParts(cidr, appendedDefault);
  return `{${p.ip} ${p.mask}}`;
}

/** `%+v` of a net.IPNet value: `{IP:10.0.0.0 Mask:ffff0000}`. */
export function goIpNetPlus(cidr: string): string {
  const p = ipNetParts(cidr);
  return `{IP:${p.ip} Mask:${p.mask}}`;
}

export function goIp(ip: string | undefined): string {
  return ip === undefined || ip === "" ? "<nil>" : ip;
}

/** types.Route's String(). */
export function goRoute(r: Route): string {
  const ptr = (n: number | undefined): string => (n === undefined ? "<nil>" : String(n));
  return `{Dst:${goIpNetPlus(r.dst)} GW:${goIp(r.gw)} MTU:${r.mtu ?? 0} AdvMSS:${r.advmss ?? 0} Priority:${r.priority ?? 0} Table:${ptr(r.table)} Scope:${ptr(r.scope)}}`;
}

/** IPConfig's String() (the reference prints the interface pointer; we print its value). */
export function goIpConfig(c: IpConfig): string {
  return `{Interface:${c.interface ?? "<nil>"} Address:${goIpNetPlus(c.address)} Gateway:${goIp(c.gateway)}}`;
}

const SCOPES: Record<number, string> = { 0: "universe", 200: "site", 253: "link", 254: "host", 255: "nowhere" };

/** netlink.Scope's String(). */
export function goScope(scope: number): string {
  return SCOPES[scope] ?? "unknown";
}
