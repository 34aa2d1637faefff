/**
 * A second public surface of src/firewall, beside index.ts, for portmap: the backend choice, the
 * registry lookup and the config checks, without the planners, renderers and scans index.ts loads.
 * portmap imports it from a module of its own that it loads only when a call needs the firewall.
 */
export type { ApplyOptions } from "./apply.ts";
export type { FirewallBackend } from "./backend.ts";
export { findBackend } from "./backends.ts";
export { checkConditions } from "./conditions-check.ts";
export { noProbe, type Probe, portmapBackendName, systemProbe } from "./detect.ts";
export type { Family } from "./model.ts";
export type { PortMapping, PortmapRequest } from "./plans-types.ts";
export { parseIp } from "./validate.ts";
