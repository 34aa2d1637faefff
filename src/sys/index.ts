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
export { resolvePath, dirnamePath, childPath, joinPath } from "./paths.ts";
export { realPath, renamePath, statId } from "./libc.ts";
export {
  closeFile,
  fdInfo,
  FileError,
  type FileInfo,
  linkPath,
  DT_DIR,
  DT_REG,
  DT_UNKNOWN,
  type DirEntry,
  mkdirAll,
  O_APPEND,
  O_CREAT,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  openPath,
  pathInfo,
  readRegularText,
  readText,
  truncateFd,
  unlinkPath,
  writeText,
} from "./files.ts";
export { entryName, leadWord, listDir, listDirTyped, scanDirTexts, type ScanEntry, type ScanHints } from "./dir-texts.ts";
