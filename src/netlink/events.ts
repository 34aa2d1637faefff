import type { NetNs } from "../sys/index.ts";
import { NETLINK_ROUTE, RTNLGRP_IPV6_IFADDR, RTNLGRP_LINK } from "./constants.ts";
import { NetlinkError } from "./errors.ts";
import { NetlinkSocket } from "./socket.ts";

/** Longest single block of the JS thread while waiting; also the polling fallback's period. */
const SLICE_MS = 100;

export interface WaitResult<T> {
  met: boolean;
  /** The last state read (undefined when the object could not be read at all). */
  last: T | undefined;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A socket subscribed to RTNLGRP_LINK (or RTNLGRP_IPV6_IFADDR, for address waits). Events are
 * used only as a wake-up: after each batch the caller's probe re-reads the real state with a request. Because the first probe runs after the
 * subscription, a change can never fall between "read" and "subscribe"; a lost event (ENOBUFS)
 * or a quiet kernel only delays the next probe to the end of the current slice.
 */
export class LinkWatch implements Disposable {
  readonly #sock: NetlinkSocket;

  private constructor(sock: NetlinkSocket) {
    this.#sock = sock;
  }

  /** Subscribes now to `group`, in `ns` (or the current netns). */
  static open(ns?: NetNs, group: typeof RTNLGRP_LINK | typeof RTNLGRP_IPV6_IFADDR = RTNLGRP_LINK): LinkWatch {
    const sock = NetlinkSocket.open(NETLINK_ROUTE, ns);
    try {
      sock.subscribe(group);
    } catch (err) {
      sock.close();
      throw err;
    }
    return new LinkWatch(sock);
  }

  /** Drains queued events; true when anything (or an overflow) arrived. */
  #drain(firstWaitMs: number): boolean {
    let seen = false;
    let wait = firstWaitMs;
    for (;;) {
      let dgram: Uint8Array | undefined;
      try {
        dgram = this.#sock.receive(wait);
      } catch (err) {
        if (err instanceof NetlinkError && err.errnoName === "ENOBUFS") return true; // events lost: re-read
        throw err;
      }
      if (dgram === undefined) return seen;
      seen = true;
      wait = 0;
    }
  }

  /**
   * Resolves when `probe()` returns a state for which `done` holds, or after `timeoutMs` with
   * `met: false` and the last state read. Probe errors propagate.
   */
  async waitFor<T>(probe: () => T | undefined, done: (state: T) => boolean, timeoutMs: number): Promise<WaitResult<T>> {
    const deadline = Date.now() + timeoutMs;
    let last = probe();
    while (!(last !== undefined && done(last))) {
      const left = deadline - Date.now();
      if (left <= 0) return { met: false, last };
      this.#drain(Math.min(SLICE_MS, left));
      last = probe();
      await yieldToEventLoop();
    }
    return { met: true, last };
  }

  close(): void {
    this.#sock.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
