export {
  hostLocal,
  hostLocalAdd,
  hostLocalCheck,
  hostLocalDel,
  hostLocalGc,
  hostLocalStatus,
  type StoreFactory,
} from "./plugin.ts";
export {
  cidrString,
  HostLocalNetConf,
  IpamConfig,
  checkHostLocalConfig,
  loadHostLocalConfig,
  RangeConfig,
  RangeSetsConfig,
  RouteConfig,
  type HostLocalConfig,
} from "./config.ts";
export { allocateAll, allocateFromSet, candidates, type Candidate } from "./allocator.ts";
export {
  canonicalizeRange,
  canonicalizeRangeSet,
  rangeContains,
  rangeFor,
  rangeOverlaps,
  rangeSetContains,
  rangeSetsOverlap,
  rangeSetString,
  rangeString,
  type Range,
  type RangeInput,
  type RangeSet,
} from "./range.ts";
export { DEFAULT_DATA_DIR, DiskStore, type DiskStoreOptions } from "./disk-store.ts";
export type { Reservation, Store } from "./store.ts";
export { exhaustedSets, staleReservations } from "./gc.ts";
export { parseResolvConf, parseResolvConfText } from "./resolv.ts";
export { checkAttachment, networkDir } from "./paths.ts";
export { type Addr, ipString, parseCIDR, parseIP, type ParsedCidr } from "../../ip/index.ts";
