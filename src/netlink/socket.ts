import type { NetNs } from "../sys/netns.ts";
import { Errno } from "../sys/errno.ts";
import { closeFd, socketIn } from "../sys/netns.ts";
import { bind, getsockname, MSG_DONTWAIT, MSG_TRUNC, pollIn, recv, sendto, setsockoptInt, SO_RCVBUF, SOL_SOCKET } from "../sys/libc.ts";
import { NETLINK_ADD_MEMBERSHIP, NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, SOL_NETLINK } from "./constants.ts";
import { NetlinkError } from "./errors.ts";

const AF_NETLINK = 16;
/** Larger than any datagram the kernel builds for a dump (it caps them at 32 KiB). */
const RECV_BUFFER = 64 * 1024;

/** What the message layer needs from a socket; a fake kernel implements it in unit tests. */
export interface Transport {
  /** Our netlink port id: replies addressed to us carry it in nlmsg_pid. */
  readonly portId: number;
  send(datagram: Uint8Array): void;
  /** Next datagram, or undefined when nothing arrived within `timeoutMs`. */
  receive(timeoutMs: number): Uint8Array | undefined;
  close(): void;
}

function sockaddrNl(groups = 0): Uint8Array {
  const a = new Uint8Array(12);
  const v = new DataView(a.buffer);
  v.setUint16(0, AF_NETLINK, true);
  v.setUint32(8, groups, true);
  return a;
}

const KERNEL = sockaddrNl();

/**
 * A netlink socket opened inside a namespace (or the current one) and then used from the host
 * thread. Strict mode is always on: extended acks for readable errors, strict checking so the
 * kernel filters dumps by the header fields we set (and rejects what it does not understand),
 * capped acks so an error does not echo the whole request back.
 */
export class NetlinkSocket implements Transport, Disposable {
  #fd: number;
  readonly portId: number;

  private constructor(fd: number, portId: number) {
    this.#fd = fd;
    this.portId = portId;
  }

  static open(protocol: number, ns?: NetNs): NetlinkSocket {
    const fd = socketIn(ns, protocol);
    try {
      const fail = (what: string, errno: number): never => {
        throw new NetlinkError(`netlink socket ${what}`, errno, undefined, 0);
      };
      for (const opt of [NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, NETLINK_CAP_ACK]) {
        const r = setsockoptInt(fd, SOL_NETLINK, opt, 1);
        if (r.ret < 0) fail(`setsockopt ${opt}`, r.errno);
      }
      // Headroom for dumps on busy hosts; the kernel doubles it and caps it at rmem_max.
      setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20);
      const b = bind(fd, sockaddrNl());
      if (b.ret < 0) fail("bind", b.errno);
      const addr = new Uint8Array(12);
      const g = getsockname(fd, addr);
      if (g.ret < 0) fail("getsockname", g.errno);
      return new NetlinkSocket(fd, new DataView(addr.buffer).getUint32(4, true));
    } catch (err) {
      closeFd(fd);
      throw err;
    }
  }

  get fd(): number {
    if (this.#fd < 0) throw new Error("netlink socket is closed");
    return this.#fd;
  }

  /** Joins a multicast group (RTNLGRP_*): events start queueing from this moment. */
  subscribe(group: number): void {
    const r = setsockoptInt(this.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
    if (r.ret < 0) throw new NetlinkError(`subscribe group ${group}`, r.errno, undefined, 0);
  }

  send(datagram: Uint8Array): void {
    for (;;) {
      const r = sendto(this.fd, datagram, 0, KERNEL);
      if (r.ret >= 0) return;
      if (r.errno !== Errno.EINTR) throw new NetlinkError("sendto", r.errno, undefined, 0);
    }
  }

  /**
   * Waits up to `timeoutMs` for a datagram. ENOBUFS (events were dropped because the queue
   * overflowed) is thrown as a NetlinkError so a waiter can re-read the state it cares about.
   */
  receive(timeoutMs: number): Uint8Array | undefined {
    // A request's reply is usually queued before sendto returns (the kernel answers netlink
    // requests in the sender's context): read first and poll only when nothing is there, which
    // saves a poll(2) and its pollfd per reply (docs/performance.md, portmap rows).
    const first = this.#take();
    if (first !== undefined) return first;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = pollIn(this.fd, Math.max(0, deadline - Date.now()));
      if (p.ret < 0 && p.errno !== Errno.EINTR) throw new NetlinkError("poll", p.errno, undefined, 0);
      if (p.ret > 0) {
        const got = this.#take();
        if (got !== undefined) return got;
      }
      if (Date.now() >= deadline) return undefined;
    }
  }

  /** One queued datagram, or undefined when none is (EAGAIN, EINTR). */
  #take(): Uint8Array | undefined {
    const buf = new Uint8Array(RECV_BUFFER);
    const r = recv(this.fd, buf, MSG_DONTWAIT | MSG_TRUNC);
    if (r.ret >= 0) {
      if (r.ret > buf.byteLength) throw new NetlinkError("recv (datagram truncated)", Errno.EMSGSIZE, undefined, 0);
      return buf.subarray(0, r.ret);
    }
    if (r.errno !== Errno.EAGAIN && r.errno !== Errno.EINTR) throw new NetlinkError("recv", r.errno, undefined, 0);
    return undefined;
  }

  close(): void {
    if (this.#fd < 0) return;
    closeFd(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
