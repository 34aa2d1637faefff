import { goQuote as quote } from "../gofmt/quote.ts";
import { Errno } from "./errno.ts";
import { errnoText } from "./errtext.ts";
import { NetNsError } from "./errors.ts";
import { close, CLONE_NEWNET, fstatId, openReadOnly, setns, socket, SOCK_CLOEXEC, SOCK_RAW, AF_NETLINK, statfsType } from "./libc.ts";

// A second public surface of src/sys, beside index.ts: the namespace handle and its error, all a
// plugin that never touches files, locks or sysctls needs (loopback), without index.ts's graph.
export { NetNsError };

/** statfs f_type of nsfs (namespace files) and of procfs (older kernels' /proc/<pid>/ns/net). */
export const NSFS_MAGIC = 0x6e736673;
export const PROCFS_MAGIC = 0x9fa0;

/** An open network namespace file. The fd stays open (and the namespace alive) until close(). */
export class NetNs implements Disposable {
  #fd: number;

  private constructor(
    fd: number,
    readonly path: string,
    readonly dev: bigint,
    readonly ino: bigint,
  ) {
    this.#fd = fd;
  }

  /** The fd to pass to setns or IFLA_NET_NS_FD; throws once closed. */
  get fd(): number {
    if (this.#fd < 0) throw new Error(`netns ${this.path} is closed`);
    return this.#fd;
  }

  /**
   * Opens a netns path such as /run/netns/x or /proc/<pid>/ns/net, checking first (as the
   * reference does) that it lives on nsfs or procfs, so a plain file is rejected before use.
   */
  static open(path: string): NetNs {
    // Through libc, not node:fs: importing node:fs costs every plugin exec start-up time and RSS.
    const fs = statfsType(path);
    if (fs.ret < 0) {
      const kind = fs.errno === Errno.ENOENT ? "not-found" : "io";
      throw new NetNsError(kind, path, `failed to Statfs ${quote(path)}: ${errnoText(fs.errno)}`, fs.errno);
    }
    if (fs.ret !== NSFS_MAGIC && fs.ret !== PROCFS_MAGIC) {
      throw new NetNsError("not-netns", path, `unknown FS magic on ${quote(path)}: ${fs.ret.toString(16)}`);
    }
    const opened = openReadOnly(path);
    if (opened.ret < 0) {
      const kind = opened.errno === Errno.ENOENT ? "not-found" : "io";
      throw new NetNsError(kind, path, `failed to open ${quote(path)}: ${errnoText(opened.errno)}`, opened.errno);
    }
    const id = fstatId(opened.ret);
    if (id.ret < 0) {
      close(opened.ret);
      throw new NetNsError("io", path, `failed to stat ${quote(path)}: ${errnoText(id.errno)}`, id.errno);
    }
    return new NetNs(opened.ret, path, id.dev, id.ino);
  }

  /** The network namespace of the calling (JS) thread. */
  static current(): NetNs {
    return NetNs.open("/proc/thread-self/ns/net");
  }

  /** Same namespace: nsfs gives every namespace one (dev, inode) identity. */
  sameAs(other: NetNs): boolean {
    return this.dev === other.dev && this.ino === other.ino;
  }

  close(): void {
    if (this.#fd < 0) return;
    close(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function enter(fd: number, what: string): void {
  const r = setns(fd, CLONE_NEWNET);
  // The reference's wording: its ns.Do wraps ns.Set's error in a second prefix.
  if (r.ret < 0) throw new NetNsError("io", what, `error switching to ns ${what}: Error switching to ns ${what}: ${errnoText(r.errno)}`, r.errno);
}

/**
 * Switching back failed: this thread now runs in the wrong namespace and anything further could
 * configure the container instead of the host. Stop the process at once, without unwinding.
 */
function dieInWrongNetns(errno: number): never {
  process.stderr.write(`tscni: fatal: failed to switch back to the original netns: ${errnoText(errno)}\n`);
  process.exit(70);
}

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === "function" && fn.constructor.name === "AsyncFunction";
}

function isPromiseLike(v: unknown): boolean {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/**
 * Runs `fn` with the JS thread inside `ns`, then switches back. `fn` must be synchronous and use
 * only synchronous calls: async work (Bun's thread pool, spawned children, timers) would run
 * in the wrong namespace or after the switch back, so an async function is refused.
 */
export function withNetnsSync<T>(ns: NetNs, fn: () => T): T {
  if (isAsyncFunction(fn)) throw new TypeError("withNetnsSync needs a synchronous function");
  const opened = openReadOnly("/proc/thread-self/ns/net");
  if (opened.ret < 0) {
    throw new NetNsError("io", "/proc/thread-self/ns/net", `failed to open the current netns: ${errnoText(opened.errno)}`, opened.errno);
  }
  const home = opened.ret;
  let result: T;
  try {
    enter(ns.fd, ns.path);
    try {
      result = fn();
    } finally {
      const r = setns(home, CLONE_NEWNET);
      if (r.ret < 0) dieInWrongNetns(r.errno);
    }
  } finally {
    close(home);
  }
  if (isPromiseLike(result)) {
    throw new TypeError("withNetnsSync callback returned a Promise: its async part ran outside the netns");
  }
  return result;
}

/**
 * Opens a socket inside `ns` and returns its fd. A socket stays bound to the namespace it was
 * created in, so the caller can use it from the host thread without switching again.
 */
export function socketIn(ns: NetNs | undefined, protocol: number, domain = AF_NETLINK, type = SOCK_RAW): number {
  const open = (): number => {
    const r = socket(domain, type | SOCK_CLOEXEC, protocol);
    if (r.ret < 0) throw new NetNsError("io", ns?.path ?? "", `failed to open socket: ${errnoText(r.errno)}`, r.errno);
    return r.ret;
  };
  return ns === undefined ? open() : withNetnsSync(ns, open);
}

/** Closes an fd from socketIn. */
export function closeFd(fd: number): void {
  close(fd);
}
