/**
 * src/firewall: the plugins' firewall work behind one seam (FirewallBackend, registered in
 * backends.ts), with rules planned as data and written as one transaction per call. What leaves
 * this area is backend-neutral: the plugins name a backend only as their config does, and the
 * operator tools see entries, duplicates, foreign objects and GC transactions.
 */
export type { Family } from "./model.ts";
export type { PortMapping, PortmapRequest } from "./plans-types.ts";
export { checkConditions } from "./conditions-check.ts";
export { parseIp } from "./validate.ts";

export type { ApplyOptions } from "./apply.ts";
// The agent's node-wide masquerade goes through the same seam (want "node-masquerade").
export { resolveIptables } from "./exec.ts";
export { NODE_MASQ_NFT_TABLE, type NodeMasquerade } from "./node-masq.ts";
export { type FirewallBackend, type FirewallKind, type GcItem, type GcTransaction, type Keep, keyedByContainerOnly, type NetworkKeep } from "./backend.ts";
export { allBackends, findBackend } from "./backends.ts";
export { masqBackendReady } from "./detect.ts";
export { gcMasq, setupMasq, teardownMasq } from "./masq.ts";
export { setupSpoofCheck, teardownSpoofCheck } from "./spoofcheck.ts";
export {
  describeEntry,
  type FirewallSnapshot,
  planSnapshotGc,
  readFirewall,
  snapshotDuplicates,
  snapshotForeign,
  snapshotProblems,
} from "./scan.ts";
