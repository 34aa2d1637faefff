/**
 * src/firewall: the plugins' firewall work behind one interface (FirewallBackend, backends.ts),
 * with rules planned as data and written as one transaction per call; backend detection.
 */
export type {
  CommentMatch,
  Family,
  IptablesOp,
  IptablesPlan,
  IptablesState,
  NftBaseChain,
  NftFamily,
  NftOp,
  NftPlan,
  NftRuleState,
  NftState,
  NftTableRef,
  NftTableState,
  RuleArgs,
} from "./model.ts";
export { nftTableKey } from "./model.ts";
export type { AttachmentRef, MasqRequest, PortMapping, PortmapRequest, SpoofCheckRequest } from "./plans-types.ts";

export {
  hashWithPrefix,
  MASQ_NFT_TABLE,
  masqChainName,
  masqComment,
  NFT_COMMENT_MAX,
  nftMasqComment,
  nftMasqInstanceHash,
  nftMasqNetworkHash,
  PORTMAP_NFT_CHAINS,
  portmapDnatChainName,
  portmapDnatComment,
  portmapLegacySnatChainName,
  portmapNftTable,
  SHARED,
  type SpoofCheckNames,
  spoofCheckNames,
} from "./names.ts";
export { type Cidr, type Ip, LIMITS, parseCidr, parseIp } from "./validate.ts";

export { findMissing, parseIptablesSave, renderIptables } from "./iptables.ts";
export { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd, portmapIptablesDel } from "./iptables-plans.ts";
export { countRulesWithComment, parseNftList, renderNft, tablesToRead } from "./nftables.ts";
export {
  masqNftAdd,
  masqNftDel,
  portmapNftAdd,
  portmapNftDel,
  spoofCheckAdd,
  spoofCheckDel,
} from "./nftables-plans.ts";

export {
  type Backend,
  conditionsBackend,
  defaultBackend,
  iptablesUsable,
  masqBackend,
  masqBackendReady,
  nftablesUsable,
  type PortmapBackendConfig,
  type Probes,
  portmapBackend,
  systemProbes,
} from "./detect.ts";
export {
  DEFAULT_LOCK_PATH,
  firewallLockPath,
  type IptablesTools,
  resolveIptables,
  resolveNft,
  spawnTool,
  type ToolResult,
  type ToolRunner,
} from "./exec.ts";
export {
  type ApplyOptions,
  applyIptables,
  applyIptablesEach,
  applyNft,
  type FamilyOutcome,
  readIptables,
  readNft,
} from "./apply.ts";

export type { FirewallBackend, Owner, Stale, Want } from "./backend.ts";
export { ALL_BACKENDS, BACKENDS, firewallBackend } from "./backends.ts";
export { gcMasq, setupMasq, teardownMasq } from "./masq.ts";
export { setupSpoofCheck, teardownSpoofCheck } from "./spoofcheck.ts";
export { type PortmapGcRequest, portmapIptablesGc, portmapNftGcOps, staleDnatChains } from "./gc.ts";
export { type MasqGcRequest, masqIptablesGc, masqNftGcOps, staleMasqChains } from "./masq-gc.ts";
export { attachmentKeys, commentContainerId, type DuplicateRule, type FirewallEntry, type FirewallKind, type FirewallSnapshot, firewallDuplicates, firewallEntries, iptablesDuplicates, iptablesEntries, nftDuplicates, nftMasqEntries, nftPortmapEntries, readFirewall } from "./scan.ts";
