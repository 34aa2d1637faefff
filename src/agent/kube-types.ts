/**
 * The few fields of Kubernetes objects the agent reads, and how it reads them from JSON. A Node is
 * input like any other: its pod CIDRs and InternalIPs reach routes, the firewall and the conflist
 * only parsed and in canonical form; what does not parse is kept aside to be reported.
 */
import { ipString, networkAddress, parseCIDRLiteral, parseIPLiteral } from "../ip/index.ts";

export interface NodeInfo {
  name: string;
  uid: string;
  /** spec.podCIDRs (or the older spec.podCIDR alone); empty until the controller manager allocates. */
  podCIDRs: string[];
  /** status.addresses of type InternalIP. */
  internalIPs: string[];
  /** Values of those two fields that are not a CIDR / an IP address, never used. */
  rejected: { field: "podCIDR" | "InternalIP"; value: string }[];
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: Record<string, unknown>;
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string" && s !== "") : []);

export function resourceVersionOf(o: unknown): string {
  return str(obj(obj(o).metadata).resourceVersion);
}

export function nodeInfo(o: unknown): NodeInfo {
  const n = obj(o);
  const meta = obj(n.metadata);
  const spec = obj(n.spec);
  const rawCIDRs = strings(spec.podCIDRs);
  if (rawCIDRs.length === 0 && str(spec.podCIDR) !== "") rawCIDRs.push(str(spec.podCIDR));
  const addresses = Array.isArray(obj(n.status).addresses) ? (obj(n.status).addresses as unknown[]) : [];
  const rawIPs = addresses.map(obj).filter((a) => a.type === "InternalIP").map((a) => str(a.address)).filter((a) => a !== "");
  const rejected: NodeInfo["rejected"] = [];
  const podCIDRs = rawCIDRs.flatMap((value) => {
    const c = canonicalCidr(value);
    if (c === undefined) rejected.push({ field: "podCIDR", value });
    return c === undefined ? [] : [c];
  });
  const internalIPs = rawIPs.flatMap((value) => {
    const ip = parseIPLiteral(value);
    if (ip === undefined) rejected.push({ field: "InternalIP", value });
    return ip === undefined ? [] : [ipString(ip)];
  });
  return { name: str(meta.name), uid: str(meta.uid), podCIDRs, internalIPs, rejected };
}

/** "10.244.1.5/24" → "10.244.1.0/24" (the form the kernel reports routes in); undefined if not a CIDR. */
export function canonicalCidr(text: string): string | undefined {
  const c = parseCIDRLiteral(text);
  return c === undefined ? undefined : `${ipString(networkAddress(c.ip, c.prefix))}/${c.prefix}`;
}

/** Why a rejected value is never used, for logs, Events and doctor. */
export function rejectedReason(r: NodeInfo["rejected"][number]): string {
  return `its ${r.field} ${JSON.stringify(r.value)} is not ${r.field === "podCIDR" ? "a CIDR" : "an IP address"}`;
}

/** One line of a watch stream, or undefined when it is not a watch event. */
export function parseWatchLine(line: string): WatchEvent | undefined {
  try {
    const v = obj(JSON.parse(line));
    const type = v.type;
    if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED" && type !== "BOOKMARK" && type !== "ERROR") return undefined;
    return { type, object: obj(v.object) };
  } catch {
    return undefined;
  }
}

/** The HTTP-like code a watch ERROR event carries (410 when the resourceVersion is too old). */
export function statusCode(o: Record<string, unknown>): number {
  return typeof o.code === "number" ? o.code : 0;
}
