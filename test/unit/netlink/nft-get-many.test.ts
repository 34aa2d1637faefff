/**
 * Several nf_tables GETs in one datagram (get-many.ts): one send, each answer matched to its
 * request by sequence number whatever order and grouping the replies come in; an absent object is
 * an answer, any other refusal an error naming it; replies that are not ours are skipped.
 */
import { describe, expect, setSystemTime, test } from "bun:test";
import { Errno } from "../../../src/sys/index.ts";
import { NLMSG_ERROR } from "../../../src/netlink/constants.ts";
import { encodeMessage, parseMessages, type Request } from "../../../src/netlink/message.ts";
import type { Transport } from "../../../src/netlink/index.ts";
import { NetlinkError } from "../../../src/netlink/index.ts";
import { getMany, presentOrAbsent } from "../../../src/netlink/nft/get-many.ts";
import { chainGetRequest, getGenRequest, tableGetRequest } from "../../../src/netlink/nft/messages.ts";

const PORT = 777;

/** A reply message: `type` with `body`, or NLMSG_ERROR carrying -errno and the request's header. */
function reply(seq: number, pid: number, what: { type: number; body: number[] } | { errno: number }): Uint8Array {
  if ("type" in what) return encodeMessage({ type: what.type, flags: 0, body: new Uint8Array(what.body) }, seq).map((b, i) => (i >= 12 && i < 16 ? [pid & 0xff, (pid >> 8) & 0xff, 0, 0][i - 12] ?? 0 : b));
  const body = new Uint8Array(20);
  new DataView(body.buffer).setInt32(0, -what.errno, true);
  const m = encodeMessage({ type: NLMSG_ERROR, flags: 0, body }, seq);
  new DataView(m.buffer).setUint32(12, pid, true);
  return m;
}

class Fake implements Transport {
  readonly portId = PORT;
  readonly sent: Uint8Array[] = [];
  queue: Uint8Array[] = [];
  constructor(private readonly answer: (seqs: number[]) => Uint8Array[]) {}
  send(d: Uint8Array): void {
    this.sent.push(d);
    this.queue.push(...this.answer(parseMessages(d).map((m) => m.seq)));
  }
  receive(): Uint8Array | undefined {
    return this.queue.shift();
  }
  close(): void {}
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
};

describe("getMany", () => {
  const reqs: Request[] = [getGenRequest(), tableGetRequest(2, "nat"), chainGetRequest(2, "nat", "POSTROUTING"), chainGetRequest(2, "nat", "CNI-x"), getGenRequest()];
  let seq = 0xfffffffd; // the sequence numbers wrap past 2^32 inside the datagram
  const nextSeq = (): number => (seq = (seq + 1) >>> 0);

  test("one datagram out; answers in request order from replies in any order and grouping, foreign ones skipped", () => {
    const fake = new Fake((s) => [
      // a stale reply to an earlier request and one for another port: skipped
      reply(((s[0] ?? 0) - 1) >>> 0, PORT, { type: 0x0a00, body: [2, 0, 0, 0] }),
      reply(s[1] ?? 0, PORT + 1, { type: 0x0a00, body: [9, 0, 0, 0] }),
      concat([reply(s[3] ?? 0, PORT, { errno: Errno.ENOENT }), reply(s[1] ?? 0, PORT, { type: 0x0a01, body: [2, 0, 0, 1] })]),
      reply(s[0] ?? 0, 0, { type: 0x0a10, body: [0, 0, 0, 0] }),
      concat([reply(s[2] ?? 0, PORT, { type: 0x0a03, body: [2, 0, 0, 2] }), reply(s[4] ?? 0, PORT, { type: 0x0a10, body: [0, 0, 0, 3] })]),
    ]);
    const answers = getMany(fake, nextSeq, "read", reqs);
    expect(fake.sent).toHaveLength(1);
    expect(parseMessages(fake.sent[0] ?? new Uint8Array()).map((m) => m.type)).toEqual(reqs.map((r) => r.type));
    expect(answers.map((a) => (a.message ? [...a.message.payload] : a.errno))).toEqual([[0, 0, 0, 0], [2, 0, 0, 1], [2, 0, 0, 2], Errno.ENOENT, [0, 0, 0, 3]]);
    expect(presentOrAbsent("NFT_MSG_GETCHAIN", answers[3]!)).toBeUndefined();
    expect(presentOrAbsent("NFT_MSG_GETCHAIN", answers[2]!)?.payload[3]).toBe(2);
  });

  test("a refusal other than ENOENT is an error naming the request; a missing reply a timeout error", () => {
    const fake = new Fake((s) => [reply(s[0] ?? 0, PORT, { errno: Errno.EPERM })]);
    const [a] = getMany(fake, nextSeq, "read", [getGenRequest()]);
    let err: unknown;
    try {
      presentOrAbsent("NFT_MSG_GETGEN", a!);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetlinkError);
    expect({ op: (err as NetlinkError).op, errno: (err as NetlinkError).errno, seq: (err as NetlinkError).seq }).toEqual({ op: "NFT_MSG_GETGEN", errno: Errno.EPERM, seq: a!.seq });
    const silent = new Fake(() => []);
    silent.receive = () => undefined;
    expect(() => getMany(silent, nextSeq, "nf_tables read", reqs)).toThrow(/answered 0 of 5/);
  });

  test("replies already queued are taken after the deadline passed (a slowed-down process), without waiting", () => {
    const fake = new Fake((s) => s.map((q) => reply(q, PORT, { type: 0x0a10, body: [0, 0, 0, q & 0xff] })));
    const waits: number[] = [];
    const take = fake.receive.bind(fake);
    fake.receive = (timeoutMs?: number) => {
      waits.push(timeoutMs ?? -1);
      // Each reply is handled so slowly that the deadline has passed by the next receive.
      setSystemTime(new Date(Date.now() + 3_000));
      return take();
    };
    try {
      const answers = getMany(fake, nextSeq, "nf_tables read", reqs);
      expect(answers.map((a) => a.errno)).toEqual([0, 0, 0, 0, 0]);
      expect(waits.slice(1)).toEqual([0, 0, 0, 0]);
    } finally {
      setSystemTime();
    }
  });

  test("nothing asked: nothing sent", () => {
    const fake = new Fake(() => []);
    expect(getMany(fake, nextSeq, "read", [])).toEqual([]);
    expect(fake.sent).toHaveLength(0);
  });
});
