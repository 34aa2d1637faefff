/**
 * The reference's on-disk store, byte for byte (format in disk-format.ts): reservation files 0600
 * created whole and atomically, `last_reserved_ip.<N>` 0600 without a newline, and an empty `lock`
 * (0750) held with flock(2), so tscni and the Go plugin can share a directory at the same time.
 * Files through src/sys's libc helpers, not node:fs, whose import alone is about a fifth of a
 * host-local ADD (docs/performance.md); their errors carry node's `code` and `syscall`.
 */
import {
  childPath as join,
  closeFile,
  fdInfo,
  linkPath,
  type DirEntry,
  listDirTyped,
  lockFile,
  mkdirAll,
  O_CREAT,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  openPath,
  readRegularText,
  readText,
  scanDirTexts,
  truncateFd,
  unlinkPath,
  writeText,
} from "../../sys/index.ts";
import { parseIP, ipString } from "../../ip/index.ts";
import { networkDir } from "./paths.ts";
import type { Reservation, Store } from "./store.ts";
import { LAST_RESERVED_PREFIX, LOCK_NAME, ownerText, parseReservation, reservationText, scratchName } from "./disk-format.ts";
import { type Entry, type Owned, ownedBy, type ScanDir, walkTree } from "./disk-walk.ts";
import { errnoCode, goPathError } from "./errors.ts";
import { goTrim } from "./go-text.ts";

export const DEFAULT_DATA_DIR = "/var/lib/cni/networks";
/** Long enough that a burst of parallel ADDs never gives up; the reference waits forever. */
export const LOCK_TIMEOUT_MS = 60_000;
const DIR_MODE = 0o755;
const FILE_MODE = 0o600;
const LOCK_MODE = 0o750;

export interface DiskStoreOptions {
  /**
   * Create the network directory and the lock file, as the reference does on every verb (the
   * default). Readers that must leave a node as they found it (doctor, a gc dry run) pass false:
   * a network that never ran then simply has no reservations.
   */
  create?: boolean;
}

export class DiskStore implements Store {
  readonly dir: string;
  readonly lockPath: string;

  /** `dataDir` "" is the default one. */
  constructor(dataDir: string, network: string, opts: DiskStoreOptions = {}) {
    this.dir = networkDir(dataDir === "" ? DEFAULT_DATA_DIR : dataDir, network);
    this.lockPath = join(this.dir, LOCK_NAME);
    if (opts.create === false) return;
    try {
      mkdirAll(this.dir, DIR_MODE);
    } catch (err) {
      throw goPathError(err, this.dir);
    }
    try {
      closeFile(openPath(this.lockPath, O_RDONLY | O_CREAT | O_NOFOLLOW, LOCK_MODE));
    } catch (err) {
      throw goPathError(err, this.lockPath);
    }
  }

  lock(): Promise<Disposable> {
    return lockFile(this.lockPath, { timeoutMs: LOCK_TIMEOUT_MS, dirMode: DIR_MODE, fileMode: LOCK_MODE });
  }

  reserve(containerId: string, ifname: string, ip: string, rangeId: string): boolean {
    const path = join(this.dir, ip);
    // Written whole under a scratch name, then linked into place (atomic, and EEXIST when taken):
    // a process killed half way never leaves an empty reservation that no DEL can match.
    const scratch = join(this.dir, scratchName(ip));
    try {
      const fd = openPath(scratch, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, FILE_MODE);
      try {
        writeText(fd, reservationText(containerId, ifname), scratch);
      } finally {
        closeFile(fd);
      }
      linkPath(scratch, path);
    } catch (err) {
      safeUnlink(scratch);
      if (errnoCode(err) === "EEXIST") return false;
      throw goPathError(err, path);
    }
    safeUnlink(scratch);
    const last = join(this.dir, LAST_RESERVED_PREFIX + rangeId);
    try {
      // Non-blocking and truncated only once known to be a regular file: a FIFO or device put
      // there would otherwise block the ADD forever while it holds the network's lock.
      const flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK;
      const lf = openPath(last, flags, FILE_MODE);
      try {
        const info = fdInfo(lf, last);
        if (!info.isFile) throw notRegular(last);
        // Overwritten in place when the new text is at least as long (nearly always: the next IP
        // of a range); an ftruncate to 0 costs a journal transaction on ext4 (0.2 ms idle, ms
        // under load). The file ends as it did: exactly `ip` (ASCII, one byte per character).
        if (info.size > ip.length) truncateFd(lf, last);
        writeText(lf, ip, last);
      } finally {
        closeFile(lf);
      }
    } catch (err) {
      // The reference keeps the address file here; a failed ADD must not hold an address.
      safeUnlink(path);
      throw goPathError(err, last);
    }
    return true;
  }

  lastReservedIP(rangeId: string): string | undefined {
    const path = join(this.dir, LAST_RESERVED_PREFIX + rangeId);
    try {
      return readRegular(path);
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") {
        process.stderr.write(`Error retrieving last reserved ip: ${goPathError(err, path).message}\n`);
      }
      return undefined;
    }
  }

  getByID(containerId: string, ifname: string): string[] {
    const ips: string[] = [];
    for (const e of this.owned(containerId, ifname).either) {
      const ip = parseIP(e.name);
      if (ip !== undefined) ips.push(ipString(ip));
    }
    return ips;
  }

  findByID(containerId: string, ifname: string): boolean {
    return this.owned(containerId, ifname).either.length > 0;
  }

  releaseByID(containerId: string, ifname: string): void {
    const owned = this.owned(containerId, ifname);
    if (!removeAll(owned.exact)) removeAll(owned.legacy);
    // A writer killed between creating its scratch file and writing its owner left it empty: no
    // owner matches it, and under the lock no writer is half way, so any DEL removes it.
    removeAll(owned.emptyScratch);
  }

  reservations(): Reservation[] {
    const out: Reservation[] = [];
    for (const e of this.walk(true)) {
      if (!e.topLevel || parseIP(e.name) === undefined) continue;
      const content = readRegularText(e.path);
      if (content !== undefined) out.push({ ...parseReservation(e.name, content), reservedAtMs: e.mtimeMs });
    }
    return out;
  }

  release(r: Reservation): boolean {
    const path = join(this.dir, r.ip);
    const file = fileOrUndefined(path);
    if (file === undefined || goTrim(file.text) !== ownerText(r.containerId, r.ifname)) return false;
    // The write time from the same open as the text: a rewrite since the plan is never released.
    if (r.reservedAtMs !== undefined && file.mtimeMs !== r.reservedAtMs) return false;
    safeUnlink(join(this.dir, scratchName(r.ip)));
    return safeUnlink(path);
  }

  /** Lists one directory of the walk: the seam through which tests count listings. */
  protected listEntries(dir: string): DirEntry[] {
    return listDirTyped(dir);
  }

  /** Lists one directory of a by-owner walk, reading its files as it goes (the same seam). */
  protected scanEntries(...args: Parameters<ScanDir>): void {
    scanDirTexts(...args);
  }

  /** One walk, each file read once: everything a by-owner verb asks of the directory. */
  private owned(containerId: string, ifname: string): Owned {
    return ownedBy(this.dir, (...args) => this.scanEntries(...args), containerId, ifname);
  }

  private walk(withTimes = false): Entry[] {
    return walkTree(this.dir, (dir) => this.listEntries(dir), withTimes);
  }
}

function removeAll(entries: readonly Entry[]): boolean {
  let any = false;
  for (const e of entries) if (safeUnlink(e.path)) any = true;
  return any;
}

function notRegular(path: string): Error {
  return Object.assign(new Error(`${path}: not a regular file`), { code: "EINVAL" });
}

/**
 * A regular file's text. Never through a symlink, and never blocking on a FIFO someone put
 * there (a plain read would wait for a writer forever, holding the network's lock).
 */
function readRegularFile(path: string): { text: string; mtimeMs: number } {
  const fd = openPath(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const st = fdInfo(fd, path);
    if (!st.isFile) throw notRegular(path);
    return { text: readText(fd, path, st.size), mtimeMs: st.mtimeMs };
  } finally {
    closeFile(fd);
  }
}

function readRegular(path: string): string {
  return readRegularFile(path).text;
}

function fileOrUndefined(path: string): { text: string; mtimeMs: number } | undefined {
  try {
    return readRegularFile(path);
  } catch {
    return undefined;
  }
}

function safeUnlink(path: string): boolean {
  try {
    unlinkPath(path);
    return true;
  } catch {
    return false;
  }
}
