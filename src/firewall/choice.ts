/**
 * A second public surface of src/firewall, beside index.ts, for portmap: the backend choice, the
 * registry lookup and (loaded on demand) the config checks, without the planners, renderers and
 * scans index.ts loads.
 * A portmap call that touches no firewall (no mappings: containerd's default chain on every pod)
 * then loads none of them; a call that does gets them with the backend it loads.
 */
export type { ApplyOptions } from "./apply.ts";
export type { FirewallBackend } from "./backend.ts";
export { findBackend } from "./backends.ts";
export { noProbe, type Probe, portmapBackendName, systemProbe } from "./detect.ts";
export type { Family } from "./model.ts";
export type { PortMapping, PortmapRequest } from "./plans-types.ts";

/** portmap's config checks (conditions, host IPs), loaded by the calls that have any to check. */
export type PortmapChecks = typeof import("./portmap-checks.ts");
export const portmapChecks = (): Promise<PortmapChecks> => import("./portmap-checks.ts");
