import { dlopen, ptr, read, T } from "./ffi.ts";
import { errnoName } from "./errno.ts";
import { errnoText } from "./errtext.ts";
import { close, openFile, readFd, statxOf, type StatxInfo } from "./libc.ts";

/**
 * The few file operations host-local's store and the lock need, through libc instead of node:fs:
 * importing node:fs compiles Bun's JS implementation of it from source in every exec that loads
 * it (+2.8 M instructions, about a fifth of a host-local ADD; docs/performance.md). Errors carry
 * node's `code`, `syscall` and message, which the callers already render the way Go prints them.
 *
 * Their symbols are a group of their own, opened on first use: in libc.ts's binding they cost a
 * loopback exec, which never uses them, ~0.35 M instructions (docs/performance.md).
 */
const symbols = {
  __errno_location: { args: [], returns: T.ptr },
  mkdir: { args: [T.ptr, T.u32], returns: T.i32 },
  link: { args: [T.ptr, T.ptr], returns: T.i32 },
  unlink: { args: [T.ptr], returns: T.i32 },
  ftruncate: { args: [T.i32, T.i64], returns: T.i32 },
  write: { args: [T.i32, T.ptr, T.u64], returns: T.i64Fast },
  opendir: { args: [T.ptr], returns: T.ptr },
  readdir64: { args: [T.ptr], returns: T.ptr },
  closedir: { args: [T.ptr], returns: T.i32 },
  // The per-file calls of readRegularText, bound here too so that a walk over hundreds of files
  // calls them without libc.ts's wrappers (a closure and a result object per call).
  open: { args: [T.ptr, T.i32, T.u32], returns: T.i32 },
  statx: { args: [T.i32, T.ptr, T.i32, T.u32, T.ptr], returns: T.i32 },
  read: { args: [T.i32, T.ptr, T.u64], returns: T.i64Fast },
  close: { args: [T.i32], returns: T.i32 },
  // A directory scan opens each file by the listing's own name bytes, relative to the directory.
  dirfd: { args: [T.ptr], returns: T.i32 },
  openat: { args: [T.i32, T.ptr, T.i32, T.u32], returns: T.i32 },
} as const;

export type FileLibc = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
let opened: FileLibc | undefined;
/** The files group, opened on first use (dir-texts.ts calls it too). */
export const lib = (): FileLibc => (opened ??= dlopen("libc.so.6", symbols).symbols);

export function errno(l: FileLibc): number {
  const p = l.__errno_location();
  return p === null ? 0 : read.i32(p, 0);
}

/** One call and the errno it left, read before any other libc call can change it. */
function call(fn: (l: FileLibc) => number | bigint): { ret: number; errno: number } {
  const l = lib();
  const ret = Number(fn(l));
  return { ret, errno: ret < 0 ? errno(l) : 0 };
}

/** A failed file operation, shaped like node's fs errors (`code`, `syscall`, `path`). */
export class FileError extends Error {
  readonly code: string;
  constructor(
    readonly errno: number,
    readonly syscall: string,
    readonly path: string,
  ) {
    const code = errnoName(errno);
    super(`${code}: ${errnoText(errno)}, ${syscall} '${path}'`);
    this.code = code;
  }
}

const encoder = new TextEncoder();
export function cPath(path: string, syscall: string): Uint8Array {
  if (path.includes("\0")) throw new FileError(22, syscall, path);
  return encoder.encode(`${path}\0`);
}

function check(r: { ret: number; errno: number }, syscall: string, path: string): number {
  if (r.ret < 0) throw new FileError(r.errno, syscall, path);
  return r.ret;
}

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
/** Not generic: arm64 (like arm) has its own, where x86_64's 0o400000 is O_LARGEFILE and follows links. */
export const O_NOFOLLOW = process.arch === "arm64" ? 0o100000 : 0o400000;

/** open(2), always close-on-exec (as node opens); throws a FileError. */
export function openPath(path: string, flags: number, mode = 0o666): number {
  const r = openFile(cPath(path, "open"), flags, mode);
  if (r.ret < 0) throw new FileError(r.errno, "open", path);
  return r.ret;
}

export function closeFile(fd: number): void {
  close(fd);
}

/** `mkdir -p` with `mode` for every directory it creates; an existing directory is fine. */
export function mkdirAll(path: string, mode: number): void {
  const p = cPath(path, "mkdir");
  const { ret, errno } = call((l) => l.mkdir(p, mode));
  if (ret === 0) return;
  if (errno === 17 && isDirectoryFollowing(path)) return; // EEXIST
  const cut = path.lastIndexOf("/");
  const parent = cut > 0 ? path.slice(0, cut) : "";
  if (errno !== 2 || parent === "") throw new FileError(errno, "mkdir", path); // ENOENT: make the parent
  mkdirAll(parent, mode);
  const again = call((l) => l.mkdir(p, mode));
  if (again.ret !== 0 && again.errno !== 17) throw new FileError(again.errno, "mkdir", path);
}

/**
 * Whether `path` is a directory or a symlink to one: what an existing path must be for mkdirAll,
 * as for Go's os.MkdirAll (the reference's store) and node's recursive mkdir, which both stat
 * through a final symlink (a network directory linked elsewhere).
 */
function isDirectoryFollowing(path: string): boolean {
  const l = lib();
  const dir = l.opendir(cPath(path, "mkdir"));
  if (dir === null) return false;
  l.closedir(dir);
  return true;
}

export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  /** Modification time in ms, fractional, as node's `mtimeMs`. */
  mtimeMs: number;
  /** Length in bytes (a regular file's; 0 for what has none, e.g. procfs). */
  size: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
function info(s: StatxInfo): FileInfo {
  const type = s.mode & S_IFMT;
  return { isFile: type === S_IFREG, isDirectory: type === 0o040000, mtimeMs: s.mtimeSec * 1000 + s.mtimeNsec / 1e6, size: s.size };
}

/** lstat: the entry itself, never through a symlink; undefined when it cannot be read. */
export function pathInfo(path: string): FileInfo | undefined {
  const s = statxOf(path, undefined).info;
  return s === undefined ? undefined : info(s);
}

/** fstat of an open file; throws a FileError. */
export function fdInfo(fd: number, path: string): FileInfo {
  const s = statxOf(undefined, fd);
  if (s.info === undefined) throw new FileError(s.errno, "fstat", path);
  return info(s.info);
}

export function truncateFd(fd: number, path: string): void {
  check(call((l) => l.ftruncate(fd, 0)), "ftruncate", path);
}

export function linkPath(existing: string, created: string): void {
  const from = cPath(existing, "link");
  const to = cPath(created, "link");
  check(call((l) => l.link(from, to)), "link", created);
}

export function unlinkPath(path: string): void {
  const p = cPath(path, "unlink");
  check(call((l) => l.unlink(p)), "unlink", path);
}

/** Writes all of `text` (UTF-8) at the fd's position. */
export function writeText(fd: number, text: string, path: string): void {
  const bytes = encoder.encode(text);
  for (let off = 0; off < bytes.length; ) {
    const chunk = bytes.subarray(off);
    const r = call((l) => l.write(fd, chunk, chunk.byteLength));
    if (r.ret < 0 && r.errno === 4) continue; // EINTR
    off += check(r, "write", path);
  }
}

// One buffer for every read: host-local reads every reservation file of a network per call, and
// a fresh buffer per file is garbage a short-lived exec never collects (peak RSS).
let readBuf = new Uint8Array(new ArrayBuffer(4096));
// Its first four bytes as one number (both targets are little-endian): the scan's lead check
// (readOpenedRegular). Its ArrayBuffer made first, as for scanStatx below.
let readWord = new Uint32Array(readBuf.buffer, 0, 1);
// A leading BOM kept, as Go's ReadFile keeps it (the default decoder drops it).
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function growReadBuf(): void {
  const bigger = new Uint8Array(new ArrayBuffer(readBuf.byteLength * 2));
  bigger.set(readBuf);
  readBuf = bigger;
  readWord = new Uint32Array(readBuf.buffer, 0, 1);
}

/**
 * The file's text up to EOF; with `size` (its fstat length, > 0) up to that many bytes, as node's
 * readFileSync reads a regular file: no extra read to see the EOF, which for a directory walk
 * over hundreds of small files is a quarter of the calls.
 */
export function readText(fd: number, path: string, size = 0): string {
  let len = 0;
  while (size <= 0 || len < size) {
    if (len === readBuf.byteLength) growReadBuf();
    const r = readFd(fd, readBuf.subarray(len, size > 0 ? Math.min(size, readBuf.byteLength) : readBuf.byteLength));
    if (r.ret < 0 && r.errno === 4) continue; // EINTR
    if (r.ret < 0) throw new FileError(r.errno, "read", path);
    if (r.ret === 0) break;
    len += r.ret;
  }
  return decoder.decode(readBuf.subarray(0, len));
}

// readRegularText's reused buffers: the path as a C string, and statx's output.
let pathBuf = new Uint8Array(256);
// Its ArrayBuffer made first: reading `.buffer` of a small typed array can move its storage,
// which would leave a pointer taken before it dangling. Read through typed arrays (both targets
// are little-endian): a DataView getter is a call of its own in the interpreter, per file.
const scanStatx = new ArrayBuffer(256);
const statxU16 = new Uint16Array(scanStatx);
const statxU32 = new Uint32Array(scanStatx);
const scanStatxPtr = ptr(statxU32);
const emptyPath = new Uint8Array(1);
export const O_CLOEXEC = 0o2000000;
const AT_EMPTY_PATH = 0x1000;
const STATX_TYPE_SIZE = 0x1 | 0x200;

/**
 * A regular file's text, as readText reads it (up to its fstat length), or undefined when it
 * cannot be opened, stat'ed or read, or is not a regular file. Opened O_NOFOLLOW | O_NONBLOCK: never
 * through a final symlink, never blocking on a FIFO planted there (the fstat then refuses it).
 * For walks over many small files: no buffer, closure, result or error object per file, since a
 * walk skips what it cannot read (docs/performance.md).
 */
export function readRegularText(path: string): string | undefined {
  if (path.includes("\0")) return undefined;
  while (pathBuf.byteLength < path.length * 3 + 1) pathBuf = new Uint8Array(pathBuf.byteLength * 2);
  const n = encoder.encodeInto(path, pathBuf).written;
  pathBuf[n] = 0;
  const l = lib();
  const fd = l.open(pathBuf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  return fd < 0 ? undefined : (readOpenedRegular(l, fd, 0) ?? undefined);
}

/**
 * readRegularText after its open: the fstat guard, the read, and the close of `fd`, whatever happens.
 * With a `lead` (leadWord's, not 0), null instead of the text when the bytes rule it out: the
 * first byte printable ASCII (0x21-0x7f) and the first four bytes not `lead`'s (or fewer than four).
 * Such a text starts with that byte, so it begins with `lead`'s four characters neither as read
 * nor after leading white space is trimmed (every space is ASCII <= 0x20 or starts with a byte >=
 * 0x80); anything else is decoded. Saves the decode of every file a caller cannot match.
 */
export function readOpenedRegular(l: FileLibc, fd: number, lead: number): string | undefined | null {
  try {
    if (l.statx(fd, emptyPath, AT_EMPTY_PATH, STATX_TYPE_SIZE, scanStatxPtr) < 0) return undefined;
    // struct statx: stx_mode (u16) at byte 28, stx_size (u64) at byte 40.
    if ((statxU16[14]! & S_IFMT) !== S_IFREG) return undefined;
    const size = statxU32[10]! + statxU32[11]! * 2 ** 32;
    let len = 0;
    while (size <= 0 || len < size) {
      if (len === readBuf.byteLength) growReadBuf();
      const end = size > 0 && size < readBuf.byteLength ? size : readBuf.byteLength;
      // The buffer itself for the first read (bun:ffi passes its address natively): ptr() with an
      // offset is a call of its own, once per file of a walk (docs/performance.md). i64Fast gives
      // a number for any length a read returns.
      const r = l.read(fd, len === 0 ? readBuf : ptr(readBuf, len), end - len) as number;
      if (r < 0 && errno(l) === 4) continue; // EINTR
      if (r < 0) return undefined;
      if (r === 0) break;
      len += r;
    }
    // Bytes past `len` are an earlier file's: a file under four bytes compares at random, which is
    // right either way (it cannot begin with four characters; decoding it is merely not needed).
    if (lead !== 0 && len > 0 && readBuf[0]! > 0x20 && readBuf[0]! < 0x80 && readWord[0] !== lead) return null;
    return decoder.decode(readBuf.subarray(0, len));
  } finally {
    l.close(fd);
  }
}

/** A directory entry: its name and its d_type (DT_REG 8, DT_DIR 4, DT_UNKNOWN 0 when the filesystem does not say). */
export interface DirEntry {
  name: string;
  type: number;
}

export const DT_UNKNOWN = 0;
export const DT_DIR = 4;
export const DT_REG = 8;
