/**
 * A minimal netlink datagram socket in the current network namespace (portmap's conntrack cleanup
 * and route lookup, both in the host netns). Blocking calls with a receive timeout, so a lost
 * reply cannot hang a plugin. errno is read right after each failing call.
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { errnoName } from "./errno.ts";

const symbols = {
  __errno_location: { args: [], returns: FFIType.ptr },
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
} as const;

type Libc = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
let libc: Libc | undefined;
const lib = (): Libc => (libc ??= dlopen("libc.so.6", symbols).symbols);

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_RCVBUF = 8;
const SOL_NETLINK = 270;
const NETLINK_EXT_ACK = 11;
const NETLINK_GET_STRICT_CHK = 12;

export const NETLINK_ROUTE = 0;
export const NETLINK_NETFILTER = 12;

export class SyscallError extends Error {
  override readonly name = "SyscallError";
  constructor(
    readonly op: string,
    readonly errno: number,
  ) {
    super(`${op}: ${errnoName(errno)}`);
  }
}

function check(op: string, l: Libc, ret: number | bigint): number {
  const n = Number(ret);
  if (n >= 0) return n;
  const p = l.__errno_location();
  throw new SyscallError(op, p === null ? 0 : read.i32(p, 0));
}

export class NetlinkSocket implements Disposable {
  private closed = false;
  private readonly buf = new Uint8Array(256 * 1024);

  private constructor(private readonly fd: number) {}

  /** Opens and binds a socket of `protocol`, with a receive timeout in ms. */
  static open(protocol: number, timeoutMs = 5000): NetlinkSocket {
    const l = lib();
    const fd = check("socket", l, l.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
    const s = new NetlinkSocket(fd);
    try {
      const tv = new BigInt64Array([BigInt(Math.floor(timeoutMs / 1000)), BigInt((timeoutMs % 1000) * 1000)]);
      check("setsockopt(SO_RCVTIMEO)", l, l.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ptr(tv), 16));
      const size = new Int32Array([1 << 20]);
      l.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, ptr(size), 4);
      const one = new Int32Array([1]);
      l.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, ptr(one), 4);
      l.setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, ptr(one), 4);
      // struct sockaddr_nl { sa_family_t nl_family; u16 pad; u32 nl_pid; u32 nl_groups; }
      const addr = new Uint8Array(12);
      new DataView(addr.buffer).setUint16(0, AF_NETLINK, true);
      check("bind", l, l.bind(fd, ptr(addr), 12));
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }

  send(message: Uint8Array): void {
    const l = lib();
    check("send", l, l.send(this.fd, ptr(message), message.length, 0));
  }

  /** One datagram (possibly several netlink messages). */
  recv(): Uint8Array {
    const l = lib();
    const n = check("recv", l, l.recv(this.fd, ptr(this.buf), this.buf.length, 0));
    return this.buf.slice(0, n);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    lib().close(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
