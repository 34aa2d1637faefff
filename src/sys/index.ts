export { errnoName, Errno } from "./errno.ts";
export { lockFile, withFileLock, type HeldLock, type LockOptions } from "./lock.ts";
export { errnoText } from "./errtext.ts";
export {
  NetNs,
  NetNsError,
  withNetnsSync,
  socketIn,
  closeFd,
  NSFS_MAGIC,
  PROCFS_MAGIC,
  type NetNsErrorKind,
} from "./netns.ts";
export { sysctlGet, sysctlSet, sysctlPath } from "./sysctl.ts";
