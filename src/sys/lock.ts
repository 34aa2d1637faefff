import { Errno, errnoName } from "./errno.ts";
import { LockError } from "./errors.ts";
import { closeFile, mkdirAll, O_APPEND, O_CREAT, O_WRONLY, openPath } from "./files.ts";
import { flock, LOCK_EX, LOCK_NB, LOCK_UN } from "./libc.ts";
import { dirnamePath } from "./paths.ts";

export interface LockOptions {
  /** How long to keep retrying before giving up with a `timeout` LockError. */
  timeoutMs: number;
  /** Directory mode when the lock's folder must be created. */
  dirMode?: number;
  /** File mode when the lock file must be created. */
  fileMode?: number;
}

export interface HeldLock extends Disposable {
  release(): void;
}

/**
 * flock(2) on `path`, the same lock the Go reference takes (fcntl locks would not interoperate).
 * Non-blocking attempts with a growing backoff keep the event loop free and the wait bounded.
 */
export async function lockFile(path: string, opts: LockOptions): Promise<HeldLock> {
  const fd = openLockFile(path, opts);
  const deadline = Date.now() + opts.timeoutMs;
  let pause = 1;
  for (;;) {
    const { ret, errno } = flock(fd, LOCK_EX | LOCK_NB);
    if (ret === 0) break;
    if (errno !== Errno.EWOULDBLOCK && errno !== Errno.EINTR) {
      closeFile(fd);
      throw new LockError("failed", path, `failed to lock ${path}: ${errnoName(errno)}`, errno);
    }
    if (Date.now() >= deadline) {
      closeFile(fd);
      throw new LockError("timeout", path, `timed out waiting for lock ${path}`);
    }
    await Bun.sleep(pause);
    pause = Math.min(pause * 2, 50);
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    flock(fd, LOCK_UN);
    closeFile(fd);
  };
  return { release, [Symbol.dispose]: release };
}

/**
 * The lock file, opened for flock: its folder is made (mkdir -p) only when the first open fails,
 * so the usual call, whose folder exists, costs one open instead of a mkdir, an opendir and a close
 * too. Any failure takes the folder-first path, whose errors are the ones reported.
 */
function openLockFile(path: string, opts: LockOptions): number {
  const flags = O_WRONLY | O_CREAT | O_APPEND;
  const mode = opts.fileMode ?? 0o600;
  try {
    return openPath(path, flags, mode);
  } catch {
    mkdirAll(dirnamePath(path), opts.dirMode ?? 0o755);
    return openPath(path, flags, mode);
  }
}

export async function withFileLock<T>(path: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await lockFile(path, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
