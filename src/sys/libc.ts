import { CString, dlopen, read, T } from "./ffi.ts";

/**
 * The one bun:ffi binding to libc. Every wrapper returns `{ ret, errno }` with errno read
 * immediately after the call, before any other JS can run a libc function that clobbers it.
 * The library is opened lazily so that VERSION and pure-config paths never pay for dlopen.
 *
 * Pointer arguments take a Uint8Array (bun:ffi passes its data pointer); size_t arguments are
 * declared 64-bit so the callee never sees garbage in the upper half of the register.
 */
const symbols = {
  __errno_location: { args: [], returns: T.ptr },
  strerror: { args: [T.i32], returns: T.ptr },
  flock: { args: [T.i32, T.i32], returns: T.i32 },
  close: { args: [T.i32], returns: T.i32 },
  setns: { args: [T.i32, T.i32], returns: T.i32 },
  socket: { args: [T.i32, T.i32, T.i32], returns: T.i32 },
  bind: { args: [T.i32, T.ptr, T.u32], returns: T.i32 },
  getsockname: { args: [T.i32, T.ptr, T.ptr], returns: T.i32 },
  setsockopt: { args: [T.i32, T.i32, T.i32, T.ptr, T.u32], returns: T.i32 },
  sendto: {
    args: [T.i32, T.ptr, T.u64, T.i32, T.ptr, T.u32],
    returns: T.i64Fast,
  },
  recvfrom: {
    args: [T.i32, T.ptr, T.u64, T.i32, T.ptr, T.ptr],
    returns: T.i64Fast,
  },
  poll: { args: [T.ptr, T.u64, T.i32], returns: T.i32 },
  read: { args: [T.i32, T.ptr, T.u64], returns: T.i64Fast },
  // open is variadic; the mode is read only with O_CREAT, and passing it always is safe on x86_64 and arm64.
  open: { args: [T.ptr, T.i32, T.u32], returns: T.i32 },
  statfs: { args: [T.ptr, T.ptr], returns: T.i32 },
  // statx (glibc 2.28+) rather than stat/fstat, which glibc exports as symbols only from 2.33.
  statx: { args: [T.i32, T.ptr, T.i32, T.u32, T.ptr], returns: T.i32 },
  realpath: { args: [T.ptr, T.ptr], returns: T.ptr },
  rename: { args: [T.ptr, T.ptr], returns: T.i32 },
} as const;

type Libc = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

let libc: Libc | undefined;

function lib(): Libc {
  libc ??= openLibc();
  return libc;
}

/**
 * bun:ffi compiles its trampolines with the JIT. Without one (BUN_JSC_useJIT=0, or an address
 * space limit too small for the JIT's reservation) dlopen throws; say why and what to change, so
 * the runtime's log shows the fix instead of Bun's one-liner.
 */
function openLibc(): Libc {
  try {
    return dlopen("libc.so.6", symbols).symbols;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (!/JIT/.test(text)) throw err;
    const jitOff = process.env.BUN_JSC_useJIT;
    const cause =
      jitOff !== undefined
        ? `BUN_JSC_useJIT=${jitOff} is set in the plugin's environment: remove it from the container runtime's environment`
        : "the plugin's address space limit (RLIMIT_AS, e.g. systemd LimitAS= or ulimit -v) is below about 2.2 GiB: raise it or remove it for the container runtime";
    throw new Error(`${text}: tscni cannot reach the kernel without it; ${cause}`, { cause: err });
  }
}

export interface SysResult {
  ret: number;
  errno: number;
}

function errno(l: Libc): number {
  const p = l.__errno_location();
  return p === null ? 0 : read.i32(p, 0);
}

function call(fn: (l: Libc) => number | bigint): SysResult {
  const l = lib();
  const ret = Number(fn(l));
  return { ret, errno: ret < 0 ? errno(l) : 0 };
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

export function flock(fd: number, operation: number): SysResult {
  return call((l) => l.flock(fd, operation));
}

export const CLONE_NEWNET = 0x40000000;
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const POLLIN = 0x1;

export function close(fd: number): SysResult {
  return call((l) => l.close(fd));
}

/** setns(2) on the calling thread, which for us is always the JS thread. */
export function setns(fd: number, nstype: number): SysResult {
  return call((l) => l.setns(fd, nstype));
}

export function socket(domain: number, type: number, protocol: number): SysResult {
  return call((l) => l.socket(domain, type, protocol));
}

export function bind(fd: number, addr: Uint8Array): SysResult {
  return call((l) => l.bind(fd, addr, addr.byteLength));
}

/** Fills `addr` with the socket's own address; returns the length the kernel wrote in `ret`. */
export function getsockname(fd: number, addr: Uint8Array): SysResult {
  const len = new Uint32Array([addr.byteLength]);
  const r = call((l) => l.getsockname(fd, addr, len));
  return r.ret < 0 ? r : { ret: len[0] ?? 0, errno: 0 };
}

export function setsockopt(fd: number, level: number, name: number, value: Uint8Array): SysResult {
  return call((l) => l.setsockopt(fd, level, name, value, value.byteLength));
}

/** setsockopt with a C `int` value, the common case. */
export function setsockoptInt(fd: number, level: number, name: number, value: number): SysResult {
  return setsockopt(fd, level, name, new Uint8Array(new Int32Array([value]).buffer));
}

/** sendto(2) with a destination address (for netlink: the kernel, pid 0). */
export function sendto(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array): SysResult {
  return call((l) => l.sendto(fd, buf, buf.byteLength, flags, addr, addr.byteLength));
}

/** recvfrom(2) without a source address: netlink senders are checked from the message header. */
export function recv(fd: number, buf: Uint8Array, flags: number): SysResult {
  return call((l) => l.recvfrom(fd, buf, buf.byteLength, flags, null, null));
}

/**
 * poll(2) for readability of one fd. Returns ret 1 when readable, 0 on timeout.
 * Blocks the JS thread for at most `timeoutMs`; callers keep the slices short.
 */
export function pollIn(fd: number, timeoutMs: number): SysResult {
  const pfd = new Uint8Array(8);
  const view = new DataView(pfd.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, POLLIN, true);
  return call((l) => l.poll(pfd, 1, Math.max(0, Math.floor(timeoutMs))));
}

/** read(2) into `buf`; ret is the byte count (0 at end of file). */
export function readFd(fd: number, buf: Uint8Array): SysResult {
  return call((l) => l.read(fd, buf, buf.byteLength));
}

const EINVAL = 22;
const O_CLOEXEC = 0o2000000;

/** A C string; undefined when `s` holds a NUL (Go refuses such paths with EINVAL too). */
function cString(s: string): Uint8Array | undefined {
  return s.includes("\0") ? undefined : new TextEncoder().encode(`${s}\0`);
}

/** open(2) read-only and close-on-exec; ret is the fd. */
export function openReadOnly(path: string): SysResult {
  const p = cString(path);
  return p === undefined ? { ret: -1, errno: EINVAL } : call((l) => l.open(p, O_CLOEXEC, 0));
}

/** open(2) of a NUL-terminated path with `flags` (O_CLOEXEC added) and `mode`; ret is the fd. */
export function openFile(path: Uint8Array, flags: number, mode: number): SysResult {
  return call((l) => l.open(path, flags | O_CLOEXEC, mode));
}

const PATH_MAX = 4096;

/**
 * realpath(3) into a buffer of our own (nothing to free): the canonical path, or the errno when
 * it cannot be resolved. Instead of node:fs's realpathSync, whose module costs an exec ~2.8 M
 * instructions to load.
 */
export function realPath(path: string): { path?: string; errno: number } {
  const p = cString(path);
  if (p === undefined) return { errno: EINVAL };
  const out = new Uint8Array(PATH_MAX);
  const l = lib();
  if (l.realpath(p, out) === null) return { errno: errno(l) };
  const end = out.indexOf(0);
  return { path: new TextDecoder().decode(out.subarray(0, end < 0 ? out.length : end)), errno: 0 };
}

/** rename(2). */
export function renamePath(from: string, to: string): SysResult {
  const f = cString(from);
  const t = cString(to);
  return f === undefined || t === undefined ? { ret: -1, errno: EINVAL } : call((l) => l.rename(f, t));
}

/** statfs(2): ret is the filesystem's f_type (a long at offset 0 on x86_64 and arm64). */
export function statfsType(path: string): SysResult {
  const p = cString(path);
  if (p === undefined) return { ret: -1, errno: EINVAL };
  const buf = new BigInt64Array(32);
  const r = call((l) => l.statfs(p, buf));
  return r.ret < 0 ? r : { ret: Number(buf[0] ?? 0n), errno: 0 };
}

export interface FileId extends SysResult {
  /** st_dev as glibc encodes it (makedev), so it equals what `stat` would report. */
  dev: bigint;
  ino: bigint;
  /** st_mode: file type and permissions (0 on failure). */
  mode: number;
}

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const STATX_TYPE_INO = 0x1 | 0x100;

function statxId(dirfd: number, path: Uint8Array, flags: number): FileId {
  const buf = new Uint8Array(256);
  const r = call((l) => l.statx(dirfd, path, flags, STATX_TYPE_INO, buf));
  if (r.ret < 0) return { ...r, dev: 0n, ino: 0n, mode: 0 };
  const view = new DataView(buf.buffer);
  const major = BigInt(view.getUint32(136, true));
  const minor = BigInt(view.getUint32(140, true));
  const dev = ((major & 0xfffff000n) << 32n) | ((major & 0xfffn) << 8n) | ((minor & 0xffffff00n) << 12n) | (minor & 0xffn);
  return { ret: 0, errno: 0, dev, ino: view.getBigUint64(32, true), mode: view.getUint16(28, true) };
}

export interface StatxInfo {
  /** st_mode: file type and permissions. */
  mode: number;
  mtimeSec: number;
  mtimeNsec: number;
  /** stx_size: a regular file's length in bytes. */
  size: number;
}

const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_TYPE_MTIME_SIZE = 0x1 | 0x40 | 0x200;

// Reused: host-local stats every reservation file per call (a buffer each is garbage that a
// short-lived exec never collects).
const statxBuf = new Uint8Array(256);

/** Type and modification time of `path` (never through a final symlink) or of the open `fd`. */
export function statxOf(path: string | undefined, fd: number | undefined): { errno: number; info?: StatxInfo } {
  const p = path === undefined ? new Uint8Array(1) : cString(path);
  if (p === undefined) return { errno: EINVAL };
  const buf = statxBuf;
  const flags = path === undefined ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW;
  const r = call((l) => l.statx(fd ?? AT_FDCWD, p, flags, STATX_TYPE_MTIME_SIZE, buf));
  if (r.ret < 0) return { errno: r.errno };
  // struct statx: stx_mode (u16) at 28, stx_size (u64) at 40, stx_mtime { i64 tv_sec; u32 tv_nsec } at 112.
  const view = new DataView(buf.buffer);
  return {
    errno: 0,
    info: { mode: view.getUint16(28, true), mtimeSec: Number(view.getBigInt64(112, true)), mtimeNsec: view.getUint32(120, true), size: Number(view.getBigUint64(40, true)) },
  };
}

/** (dev, inode) of a path, following symlinks: what identifies a namespace file. */
export function statId(path: string): FileId {
  const p = cString(path);
  return p === undefined ? { ret: -1, errno: EINVAL, dev: 0n, ino: 0n, mode: 0 } : statxId(AT_FDCWD, p, 0);
}

/** (dev, inode) of an open fd. */
export function fstatId(fd: number): FileId {
  return statxId(fd, new Uint8Array(1), AT_EMPTY_PATH);
}

/** libc's text for an errno, e.g. "No such file or directory". */
export function strerror(errnum: number): string {
  const p = lib().strerror(errnum);
  return p === null ? `errno ${errnum}` : new CString(p).toString();
}
