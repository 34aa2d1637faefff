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
} from "./cache.ts";
export {
  ConfError,
  confListFromConf,
  type NetworkList,
  NotFoundError,
  parseConfList,
  parsePluginConf,
  pluginConfFrom,
  type PluginConf,
} from "./conf.ts";
export { confFiles, loadConfListFile, loadNetwork, scanConfDir, type ScannedFile } from "./conf-files.ts";
export { errorText, type ExecReply, type ExecRequest, findInPath, inProcessOrSpawn, type PluginExec, spawnPlugin } from "./exec.ts";
export { goCompact, sortDeep } from "./json.ts";
export { MemberFailure } from "./member.ts";
export { type CallRecord, type ChainedResult, type MemberOptions, Members, type RuntimeConf } from "./members.ts";
export { type AddOutcome, Runtime, type RuntimeOptions } from "./runtime.ts";
