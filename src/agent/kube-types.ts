/** The few fields of Kubernetes objects the agent reads, and how it reads them from JSON. */

export interface NodeInfo {
  name: string;
  uid: string;
  /** spec.podCIDRs (or the older spec.podCIDR alone); empty until the controller manager allocates. */
  podCIDRs: string[];
  /** status.addresses of type InternalIP. */
  internalIPs: string[];
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
  const podCIDRs = strings(spec.podCIDRs);
  if (podCIDRs.length === 0 && str(spec.podCIDR) !== "") podCIDRs.push(str(spec.podCIDR));
  const addresses = Array.isArray(obj(n.status).addresses) ? (obj(n.status).addresses as unknown[]) : [];
  const internalIPs = addresses.map(obj).filter((a) => a.type === "InternalIP").map((a) => str(a.address)).filter((a) => a !== "");
  return { name: str(meta.name), uid: str(meta.uid), podCIDRs, internalIPs };
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
