/**
 * nlmsghdr framing and parsing written as byte arithmetic: the same bytes and fields a DataView
 * writes and reads, for sequence numbers and pids past 2^31, every padding remainder, negative
 * errnos and a truncated message.
 */
import { describe, expect, test } from "bun:test";
import { encodeMessage, parseError, parseMessages } from "../../../src/netlink/message.ts";
import { readIfInfo } from "../../../src/netlink/wire.ts";
import { seededRandom } from "../../fixtures/seeded-random.ts";

function viewFramed(type: number, flags: number, seq: number, pid: number, body: Uint8Array): Uint8Array {
  const len = 16 + body.byteLength;
  const out = new Uint8Array((len + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq >>> 0, true);
  v.setUint32(12, pid >>> 0, true);
  out.set(body, 16);
  return out;
}

const BODIES = [0, 1, 2, 3, 4, 5, 37].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff));
const SEQS = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];

describe("nlmsghdr bytes", () => {
  test("encodeMessage frames as a DataView would", () => {
    for (const body of BODIES) {
      for (const seq of SEQS) {
        for (const [type, flags, pid] of [[0x10, 0x1, 0], [0xa04, 0x305, 0x80000001], [0xffff, 0xffff, 0xffffffff]] as const) {
          expect([...encodeMessage({ type, flags, body }, seq, pid)]).toEqual([...viewFramed(type, flags, seq, pid, body)]);
        }
      }
    }
  });

  test("parseMessages reads back what was framed, several to a datagram; a length past the end is refused", () => {
    const framed = BODIES.map((body, i) => viewFramed(0x100 + i, 0x200 + i, SEQS[i % SEQS.length] ?? 0, 0x90000000 + i, body));
    const dgram = new Uint8Array(framed.reduce((n, f) => n + f.byteLength, 0));
    let off = 0;
    for (const f of framed) {
      dgram.set(f, off);
      off += f.byteLength;
    }
    const msgs = parseMessages(dgram);
    expect(msgs.length).toBe(BODIES.length);
    msgs.forEach((m, i) => {
      expect(m.type).toBe(0x100 + i);
      expect(m.flags).toBe(0x200 + i);
      expect(m.seq).toBe(SEQS[i % SEQS.length] ?? 0);
      expect(m.pid).toBe(0x90000000 + i);
      expect([...m.payload]).toEqual([...(BODIES[i] ?? [])]);
    });
    const bad = viewFramed(1, 0, 1, 0, new Uint8Array(8));
    new DataView(bad.buffer).setUint32(0, 64, true);
    expect(() => parseMessages(bad)).toThrow("malformed netlink message");
  });

  test("parseError reads a negative errno, the echoed header, and an ACK", () => {
    const p = new Uint8Array(20);
    const v = new DataView(p.buffer);
    v.setInt32(0, -2, true);
    v.setUint32(4, 44, true);
    v.setUint16(8, 0xa04, true);
    v.setUint32(12, 0xfffffff0, true);
    const e = parseError({ type: 2, flags: 0, seq: 1, pid: 0, payload: p });
    expect(e).toEqual({ errno: 2, requestType: 0xa04, requestSeq: 0xfffffff0 });
    v.setInt32(0, 0, true);
    expect(parseError({ type: 2, flags: 0, seq: 1, pid: 0, payload: p }).errno).toBe(0);
    v.setInt32(0, -2147483648, true);
    expect(parseError({ type: 2, flags: 0, seq: 1, pid: 0, payload: p }).errno).toBe(2147483648);
  });
});

test("readIfInfo (byte arithmetic) reads what DataView reads: negative index, flags and change with bit 31 set", () => {
  const random = seededRandom(11);
  const next = (): number => random.below(256);
  const cases = [new Uint8Array(16).fill(0xff), new Uint8Array(16), new Uint8Array(20).fill(0x80)];
  for (let i = 0; i < 200; i++) cases.push(new Uint8Array(16 + (i % 5)).map(() => next()));
  for (const p of cases) {
    const v = new DataView(p.buffer);
    expect(readIfInfo(p)).toEqual({ family: v.getUint8(0), type: v.getUint16(2, true), index: v.getInt32(4, true), flags: v.getUint32(8, true), change: v.getUint32(12, true) });
  }
  expect(() => readIfInfo(new Uint8Array(15))).toThrow("short ifinfomsg");
});
