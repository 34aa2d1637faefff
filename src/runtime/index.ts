export {
  CACHE_KIND,
  cachedAttachments,
  cacheFile,
  type CachedAttachment,
  decodeCacheEntry,
  DEFAULT_CACHE_DIR,
  encodeCacheEntry,
  readCachedResult,
  resultsDir,
  type RuntimeConf,
} from "./cache.ts";
export {
  ConfError,
  confFiles,
  confListFromConf,
  loadConfListFile,
  loadNetwork,
  type NetworkList,
  NotFoundError,
  parseConfList,
  parsePluginConf,
  type PluginConf,
  scanConfDir,
  type ScannedFile,
} from "./conf.ts";
export { errorText, type ExecReply, type ExecRequest, findInPath, inProcessOrSpawn, type PluginExec, spawnPlugin } from "./exec.ts";
export { goCompact, sortDeep } from "./json.ts";
export { MemberFailure } from "./member.ts";
export { type AddOutcome, type CallRecord, type ChainedResult, Runtime, type RuntimeOptions } from "./runtime.ts";
