/**
 * Several nf_tables GETs (no dump) in ONE datagram, their replies read together. The kernel
 * handles every request of a datagram in turn inside our sendto() and queues one reply for each
 * (the object, or an error naming the request's sequence number), whatever the others answered;
 * so a read that asks for the generation, a table and its chains by name is one send and the
 * receives of what is already queued, instead of a round trip each. An absent object is an
 * answer here, not an exception: a masquerading ADD asks for chains that do not exist yet, and
 * a thrown error costs far more than a number in JSC's interpreter (docs/performance.md).
 */
import { Errno } from "../../sys/index.ts";
import { OWED_REPLY_MS } from "../conn.ts";
import { NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN } from "../constants.ts";
import { NetlinkError, NetlinkGaveUp } from "../errors.ts";
import { type Message, parseError, parseMessages, type Request } from "../message.ts";
import type { Transport } from "../socket.ts";
import { encodeMessages, type Outgoing } from "./flat-request.ts";

/** One request's answer: its reply, or (errno > 0) what the kernel refused it with. */
export interface GetAnswer {
  readonly message?: Message;
  readonly errno: number;
  readonly extack?: string;
  readonly seq: number;
}

/** The answer's message, undefined when the object is absent (ENOENT); any other refusal is thrown. */
export function presentOrAbsent(op: string, a: GetAnswer): Message | undefined {
  if (a.message !== undefined) return a.message;
  if (a.errno === Errno.ENOENT) return undefined;
  throw new NetlinkError(op, a.errno, a.extack, a.seq);
}

/**
 * Sends `reqs` (GETs without NLM_F_DUMP or NLM_F_ACK: one reply each) in one datagram with
 * consecutive sequence numbers from `nextSeq`, and returns their answers in request order.
 */
export function getMany(transport: Transport, nextSeq: () => number, op: string, reqs: readonly Request[]): GetAnswer[] {
  const out: Outgoing[] = [];
  for (const req of reqs) out.push({ req, flags: req.flags, seq: nextSeq() });
  const first = out[0]?.seq ?? 0;
  const n = out.length;
  const answers: (GetAnswer | undefined)[] = [];
  for (let i = 0; i < n; i++) answers.push(undefined);
  if (n === 0) return [];
  transport.send(encodeMessages(out));
  let left = n;
  const deadline = Date.now() + OWED_REPLY_MS;
  while (left > 0) {
    // Past the deadline, still take what is queued (receive(0) reads before it polls): the kernel
    // queued every reply inside our sendto, and a process slowed down (a loaded node, valgrind)
    // must not give up on replies that are already there.
    const dgram = transport.receive(Math.max(0, deadline - Date.now()));
    if (dgram === undefined) throw new NetlinkGaveUp(op, Errno.ETIMEDOUT, `the kernel answered ${n - left} of ${n} requests and then nothing for ${OWED_REPLY_MS} ms`, first);
    for (const m of parseMessages(dgram)) {
      const i = (m.seq - first) >>> 0;
      if (i >= n || answers[i] !== undefined || (m.pid !== transport.portId && m.pid !== 0) || m.type === NLMSG_NOOP) continue;
      if (m.type === NLMSG_OVERRUN) throw new NetlinkError(op, Errno.ENOBUFS, "overrun", m.seq);
      if (m.type === NLMSG_ERROR) {
        // A GET without NLM_F_ACK is never acknowledged: an error 0 would be a reply without data.
        const e = parseError(m);
        answers[i] = { errno: e.errno === 0 ? Errno.ENODATA : e.errno, ...(e.extack !== undefined ? { extack: e.extack } : {}), seq: m.seq };
      } else answers[i] = { message: m, errno: 0, seq: m.seq };
      left--;
    }
  }
  return answers as GetAnswer[];
}
