/**
 * The conntrack table of one network namespace over ctnetlink: list a family, delete entries.
 * The socket is opened inside the namespace (default: the current one) like Rtnl's.
 */
import type { NetNs } from "../sys/index.ts";
import { Errno } from "../sys/index.ts";
import type { ConnOptions } from "./conn.ts";
import { Conn } from "./conn.ts";
import type { CtEntry } from "./conntrack.ts";
import { ctDeleteByProtoPortRequest, ctDeleteRequest, ctDumpRequest, decodeCtEntry } from "./conntrack.ts";
import { AF_INET, AF_INET6, IPPROTO_UDP, NETLINK_NETFILTER } from "./constants.ts";
import { isNetlinkErrno } from "./errors.ts";
import type { Transport } from "./socket.ts";
import { NetlinkSocket } from "./socket.ts";

export class Conntrack implements Disposable {
  readonly #conn: Conn;

  private constructor(conn: Conn) {
    this.#conn = conn;
  }

  static open(ns?: NetNs, opts?: ConnOptions): Conntrack {
    return new Conntrack(new Conn(NetlinkSocket.open(NETLINK_NETFILTER, ns), opts));
  }

  /** A handle over any transport (a fake kernel in unit tests). */
  static over(transport: Transport, opts?: ConnOptions): Conntrack {
    return new Conntrack(new Conn(transport, opts));
  }

  close(): void {
    this.#conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** `conntrack -L -f ipv4|ipv6`. */
  list(family: number): CtEntry[] {
    return this.#conn.dump(`conntrack dump family ${family}`, ctDumpRequest(family)).flatMap((m) => decodeCtEntry(m) ?? []);
  }

  /** Deletes one entry; false when it was already gone (expired or deleted meanwhile). */
  delete(entry: CtEntry): boolean {
    try {
      this.#conn.ack(`conntrack delete ${entry.src} -> ${entry.dst}`, ctDeleteRequest(entry));
      return true;
    } catch (err) {
      if (isNetlinkErrno(err, Errno.ENOENT)) return false;
      throw err;
    }
  }

  /**
   * `conntrack -D -f <family> -p udp --orig-port-dst <port>` for each port: drops the UDP
   * entries whose original destination port is one of `ports`, any address, any zone. Uses
   * one kernel-filtered delete per port; a kernel that cannot filter a delete refuses it without
   * deleting anything, and then one dump + a delete per match does the same. Returns which way
   * it went; `kernelFilter: false` forces the dump (tests cover both against the kernel).
   */
  deleteUdpByDstPort(family: number, ports: readonly number[], opts: { kernelFilter?: boolean } = {}): "kernel-filter" | "dump" {
    const wanted = new Set(ports);
    if (opts.kernelFilter !== false) {
      try {
        for (const port of wanted) this.#conn.ack(`conntrack delete udp dport ${port}`, ctDeleteByProtoPortRequest(family, IPPROTO_UDP, port));
        return "kernel-filter";
      } catch (err) {
        if (!isNetlinkErrno(err, Errno.EINVAL) && !isNetlinkErrno(err, Errno.EOPNOTSUPP)) throw err;
      }
    }
    if (wanted.size === 0) return "dump";
    for (const e of this.list(family)) {
      if (e.proto === IPPROTO_UDP && e.dport !== undefined && wanted.has(e.dport)) this.delete(e);
    }
    return "dump";
  }
}

/** The current namespace's handle, kept until the process exits (see conntrackDeleteUdpByDstPort). */
let current: Conntrack | undefined;

/**
 * Conntrack.deleteUdpByDstPort for `family` 4 or 6. In the current namespace the socket is kept
 * open for the process (both families share it, like the firewall's nf_tables session): closing
 * a NETLINK_NETFILTER socket waits for the kernel to finish freeing what the last nf_tables commit
 * deleted, a grace period (docs/performance.md "Waits"), and at exit that wait comes after the
 * address space is gone instead of before the result is written. Another namespace: one-shot.
 */
export function conntrackDeleteUdpByDstPort(family: 4 | 6, ports: readonly number[], ns?: NetNs): void {
  const af = family === 4 ? AF_INET : AF_INET6;
  if (ns !== undefined) {
    using ct = Conntrack.open(ns);
    ct.deleteUdpByDstPort(af, ports);
    return;
  }
  current ??= Conntrack.open();
  current.deleteUdpByDstPort(af, ports);
}
