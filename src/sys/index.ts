export { errnoName, Errno } from "./errno.ts";
export { LockError, type LockErrorKind, NetNsError, type NetNsErrorKind, OwnNetnsError } from "./errors.ts";
export { lockFile, withFileLock, type HeldLock, type LockOptions } from "./lock.ts";
export { errnoText } from "./errtext.ts";
export {
  NetNs,
  withNetnsSync,
  socketIn,
  closeFd,
  NSFS_MAGIC,
  PROCFS_MAGIC,
} from "./netns.ts";
export { sysctlGet, sysctlSet, sysctlPath } from "./sysctl.ts";
