import { describe, expect, setSystemTime, test } from "bun:test";
import type { Transport } from "../../../src/netlink/index.ts";
import { NetlinkError, NLM_F_DUMP_INTR, Rtnl } from "../../../src/netlink/index.ts";
import { datagrams } from "./golden.ts";

/**
 * A fake kernel for the message layer: it answers each request with recorded kernel datagrams,
 * rewritten to carry the request's seq and our port id (as the real kernel would).
 */
class FakeKernel implements Transport {
  readonly portId = 4242;
  readonly requests: Uint8Array[] = [];
  #queue: Uint8Array[] = [];

  constructor(private readonly answer: (n: number) => Uint8Array[]) {}

  send(d: Uint8Array): void {
    const seq = new DataView(d.buffer, d.byteOffset).getUint32(8, true);
    const replies = this.answer(this.requests.length);
    this.requests.push(d);
    this.#queue.push(...replies.map((r) => withSeq(r, seq, this.portId)));
  }
  receive(): Uint8Array | undefined {
    return this.#queue.shift();
  }
  close(): void {}
}

/** Copy of a datagram with every message's seq and pid replaced. */
function withSeq(d: Uint8Array, seq: number, pid: number, orFlags = 0): Uint8Array {
  const c = Uint8Array.from(d);
  const v = new DataView(c.buffer);
  for (let off = 0; off + 16 <= c.byteLength; ) {
    const len = v.getUint32(off, true);
    v.setUint32(off + 8, seq, true);
    v.setUint32(off + 12, pid, true);
    v.setUint16(off + 6, v.getUint16(off + 6, true) | orFlags, true);
    off += (len + 3) & ~3;
  }
  return c;
}

/** The kernel's reply datagrams to the last request of a recording. */
function lastReplies(group: string, name: string, count: number): Uint8Array[] {
  return datagrams(group, name, "recv").slice(-count);
}

describe("request/response over recorded kernel replies", () => {
  test("multipart link dump up to NLMSG_DONE", () => {
    using nl = Rtnl.over(new FakeKernel(() => lastReplies("link", "dump", 2)));
    expect(nl.linkList().map((l) => l.name)).toEqual(["lo", "br0", "v1", "v0"]);
  });

  test("a dump flagged NLM_F_DUMP_INTR is restarted", () => {
    // Derived fixture: the recorded dump with NLM_F_DUMP_INTR set on its messages, as the kernel
    // does when the table changed during the dump; the retry gets the clean recording.
    const clean = lastReplies("link", "dump", 2);
    const fake = new FakeKernel((n) => (n === 0 ? clean.map((d) => withSeq(d, 0, 0, NLM_F_DUMP_INTR)) : clean));
    using nl = Rtnl.over(fake);
    expect(nl.linkList()).toHaveLength(4);
    expect(fake.requests).toHaveLength(2);
  });

  test("a dump that stays inconsistent fails with EINTR after the retries", () => {
    const clean = lastReplies("link", "dump", 2);
    using nl = Rtnl.over(new FakeKernel(() => clean.map((d) => withSeq(d, 0, 0, NLM_F_DUMP_INTR))), { dumpRetries: 2 });
    expect(() => nl.linkList()).toThrow(NetlinkError);
    try {
      nl.linkList();
    } catch (err) {
      expect((err as NetlinkError).errnoName).toBe("EINTR");
    }
  });

  test("NLMSG_ERROR with ext-ack becomes NetlinkError with errno text, name and extack", () => {
    using nl = Rtnl.over(new FakeKernel(() => lastReplies("link", "mtu-too-big", 1)));
    let caught: unknown;
    try {
      nl.linkSet(4, { mtu: 70000 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NetlinkError);
    const e = caught as NetlinkError;
    expect(e.message).toBe("invalid argument");
    expect(e.errno).toBe(22);
    expect(e.errnoName).toBe("EINVAL");
    expect(e.extack).toBe("mtu greater than device maximum");
    expect(e.op).toBe("link set 4");
  });

  test("EEXIST reads as Go prints it", () => {
    using nl = Rtnl.over(new FakeKernel(() => lastReplies("link", "add-exists", 1)));
    expect(() => nl.bridgeAdd({ name: "br0" })).toThrow("file exists");
  });

  test("replies with another seq (a stale answer) are skipped", () => {
    const fake = new FakeKernel(() => []);
    const ack = lastReplies("link", "add-bridge", 1)[0] ?? new Uint8Array();
    fake.send = function (this: FakeKernel, d: Uint8Array): void {
      const seq = new DataView(d.buffer, d.byteOffset).getUint32(8, true);
      this.requests.push(d);
      queue.push(withSeq(ack, seq - 1, this.portId), withSeq(ack, seq, this.portId));
    };
    const queue: Uint8Array[] = [];
    fake.receive = () => queue.shift();
    using nl = Rtnl.over(fake);
    nl.bridgeAdd({ name: "br0" });
    expect(queue).toHaveLength(0);
  });

  test("a dump's parts already queued are taken after the deadline passed (a slowed-down process)", () => {
    const fake = new FakeKernel(() => lastReplies("link", "dump", 2));
    const take = fake.receive.bind(fake);
    const waits: number[] = [];
    fake.receive = (timeoutMs?: number) => {
      waits.push(timeoutMs ?? -1);
      // Each datagram is handled so slowly that the deadline has passed by the next receive.
      setSystemTime(new Date(Date.now() + 3_000));
      return take();
    };
    try {
      using nl = Rtnl.over(fake);
      expect(nl.linkList().map((l) => l.name)).toEqual(["lo", "br0", "v1", "v0"]);
      expect(waits.slice(1)).toEqual([0]);
    } finally {
      setSystemTime();
    }
  });

  test("no reply at all times out with ETIMEDOUT instead of hanging", () => {
    using nl = Rtnl.over(new FakeKernel(() => []), { timeoutMs: 20 });
    expect(() => nl.linkGet("lo")).toThrow("connection timed out");
  });
});
