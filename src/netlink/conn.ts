import { Errno } from "../sys/errno.ts";
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN } from "./constants.ts";
import { NetlinkError, NetlinkGaveUp } from "./errors.ts";
import type { Message, Request } from "./message.ts";
import { encodeMessage, parseDone, parseError, parseMessages } from "./message.ts";
import type { Transport } from "./socket.ts";

/**
 * How long to wait for a reply the kernel owes. rtnetlink and nfnetlink handle a request inside
 * our sendto() and queue the reply (a dump's first part, or the ACK/error NLM_F_ACK asks for)
 * before it returns; a dump's next parts are made inside our recv(). So a poll never waits for
 * kernel work, only for a reply that exists: this bound is reached only by a kernel that broke the
 * rule (or a reply lost to an overflow, which recv reports as ENOBUFS first), and reaching it is
 * an error naming what was awaited, never a silent result.
 */
export const OWED_REPLY_MS = 2_000;

export interface ConnOptions {
  /** How long one request may wait for its owed reply before failing with ETIMEDOUT. */
  timeoutMs?: number;
  /** How many times a dump is restarted when the kernel flags it inconsistent. */
  dumpRetries?: number;
}

/**
 * Request/response on top of a transport: sequence numbers, matching replies by seq and port
 * id (stale replies to an earlier timed-out request are skipped), ACK and error decoding,
 * multipart dumps ending in NLMSG_DONE, and restarting a dump flagged NLM_F_DUMP_INTR.
 */
export class Conn {
  #seq: number;
  readonly timeoutMs: number;
  readonly dumpRetries: number;

  constructor(
    readonly transport: Transport,
    opts: ConnOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? OWED_REPLY_MS;
    this.dumpRetries = opts.dumpRetries ?? 10;
    this.#seq = (Date.now() >>> 0) & 0x7fffffff;
  }

  /** The next sequence number; shared by everything on this socket so no two requests collide. */
  nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#seq;
  }

  /** Sends `req` and returns every reply message with our seq until `done` says stop. */
  #exchange(op: string, req: Request, done: (m: Message, acc: Message[]) => boolean): { seq: number; replies: Message[] } {
    const seq = this.nextSeq();
    this.transport.send(encodeMessage({ ...req, flags: req.flags | NLM_F_REQUEST }, seq));
    const replies: Message[] = [];
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      // Past the deadline, still take what is queued (receive(0) reads before it polls): a dump's
      // next part is queued inside our previous recv, and a slowed-down process (a loaded node,
      // valgrind) must not give up on replies that are already there.
      const dgram = this.transport.receive(Math.max(0, deadline - Date.now()));
      if (dgram === undefined) throw new NetlinkGaveUp(op, Errno.ETIMEDOUT, `no reply from the kernel within ${this.timeoutMs} ms`, seq);
      for (const m of parseMessages(dgram)) {
        if (m.seq !== seq || (m.pid !== this.transport.portId && m.pid !== 0)) continue;
        if (m.type === NLMSG_NOOP) continue;
        if (m.type === NLMSG_OVERRUN) throw new NetlinkError(op, Errno.ENOBUFS, "overrun", seq);
        if (m.type === NLMSG_ERROR) {
          const e = parseError(m);
          if (e.errno !== 0) throw new NetlinkError(op, e.errno, e.extack, seq);
          return { seq, replies }; // ACK
        }
        replies.push(m);
        if (done(m, replies)) return { seq, replies };
      }
    }
  }

  /** A change that answers with an ACK (NLM_F_ACK is added); returns any messages before it. */
  ack(op: string, req: Request): Message[] {
    return this.#exchange(op, { ...req, flags: req.flags | NLM_F_ACK }, () => false).replies;
  }

  /** A GET of one object: the first data message, or the kernel's error. */
  get(op: string, req: Request): Message {
    const { replies, seq } = this.#exchange(op, req, () => true);
    const m = replies[0];
    if (m === undefined) throw new NetlinkError(op, Errno.ENODATA, "empty reply", seq);
    return m;
  }

  /** A dump (NLM_F_DUMP is added): all messages up to NLMSG_DONE, restarted when interrupted. */
  dump(op: string, req: Request): Message[] {
    for (let attempt = 0; ; attempt++) {
      let interrupted = false;
      let failure: { errno: number; extack?: string } | undefined;
      const { replies, seq } = this.#exchange(op, { ...req, flags: req.flags | NLM_F_DUMP }, (m) => {
        if ((m.flags & NLM_F_DUMP_INTR) !== 0) interrupted = true;
        if (m.type !== NLMSG_DONE) return false;
        const d = parseDone(m);
        if (d.errno !== 0) failure = d;
        return true;
      });
      if (failure) throw new NetlinkError(op, failure.errno, failure.extack, seq);
      if (!interrupted) {
        // A loop, not filter: JSC compiles each array builtin from source on its first use in a
        // process, and a loopback exec would use this one once (docs/performance.md).
        const data: Message[] = [];
        for (const m of replies) if (m.type !== NLMSG_DONE) data.push(m);
        return data;
      }
      if (attempt >= this.dumpRetries) throw new NetlinkError(op, Errno.EINTR, "dump kept changing (NLM_F_DUMP_INTR)", seq);
    }
  }

  close(): void {
    this.transport.close();
  }
}
