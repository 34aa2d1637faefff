/**
 * ctnetlink against conntrack-tools' recorded bytes (test/fixtures/netlink/conntrack.json):
 * the dump request equals `conntrack -L -f …`'s, the kernel's dumps decode, and each delete
 * carries attributes byte-identical to the ones `conntrack -D` sent for the same entry.
 */
import { describe, expect, test } from "bun:test";
import type { Transport } from "../../../src/netlink/index.ts";
import {
  AF_INET,
  AF_INET6,
  Conntrack,
  CTA_PROTO_SRC_PORT,
  CTA_TUPLE_ORIG,
  CTA_TUPLE_PROTO,
  encodeMessage,
  IPCTNL_MSG_CT_DELETE,
  IPCTNL_MSG_CT_GET,
  NetlinkError,
  parseError,
} from "../../../src/netlink/index.ts";
import { attrs } from "../../../src/netlink/attrs.ts";
import { ctDeleteByProtoPortRequest, ctMsgType, decodeCtEntry } from "../../../src/netlink/conntrack.ts";
import { datagrams, masked, received, sentBytes } from "./golden.ts";

const GET = ctMsgType(IPCTNL_MSG_CT_GET);
const DELETE = ctMsgType(IPCTNL_MSG_CT_DELETE);

/** Answers request n with the datagrams `answer(n)`, rewritten to its seq and our port id. */
class ReplayKernel implements Transport {
  readonly portId = 4242;
  readonly sent: Uint8Array[] = [];
  #queue: Uint8Array[] = [];

  constructor(private readonly answer: (n: number) => Uint8Array[]) {}

  send(d: Uint8Array): void {
    const seq = new DataView(d.buffer, d.byteOffset).getUint32(8, true);
    this.#queue.push(...this.answer(this.sent.length).map((r) => withSeq(r, seq, this.portId)));
    this.sent.push(Uint8Array.from(d));
  }
  receive(): Uint8Array | undefined {
    return this.#queue.shift();
  }
  close(): void {}
}

function withSeq(d: Uint8Array, seq: number, pid: number): Uint8Array {
  const c = Uint8Array.from(d);
  const v = new DataView(c.buffer);
  for (let off = 0; off + 16 <= c.byteLength; off += (v.getUint32(off, true) + 3) & ~3) {
    v.setUint32(off + 8, seq, true);
    v.setUint32(off + 12, pid, true);
  }
  return c;
}

/** Derived fixture: the recorded ACK with its error set to -errno (what a refusal looks like). */
function refusal(ack: Uint8Array, errno: number): Uint8Array {
  const c = Uint8Array.from(ack);
  new DataView(c.buffer).setInt32(16, -errno, true);
  return c;
}

const recv = (name: string): Uint8Array[] => datagrams("conntrack", name, "recv");
const type = (d: Uint8Array): number => new DataView(d.buffer, d.byteOffset).getUint16(4, true);
/** The attributes after nlmsghdr + nfgenmsg, each as its raw bytes (header included). */
function rawAttrs(msg: Uint8Array): string[] {
  const out: string[] = [];
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  for (let off = 20; off + 4 <= msg.byteLength; off += (v.getUint16(off, true) + 3) & ~3) {
    out.push(Buffer.from(msg.subarray(off, off + v.getUint16(off, true))).toString("hex"));
  }
  return out;
}

describe("conntrack dump", () => {
  test("requests equal conntrack -L -f ipv4 / ipv6", () => {
    for (const [family, name] of [[AF_INET, "dump-v4"], [AF_INET6, "dump-v6"]] as const) {
      const fake = new ReplayKernel(() => recv(name));
      using ct = Conntrack.over(fake);
      ct.list(family);
      expect(masked(fake.sent[0] ?? new Uint8Array())).toBe(masked(sentBytes("conntrack", name, GET)));
    }
  });

  test("the kernel's IPv4 dump decodes: zone, protocols, ports", () => {
    using ct = Conntrack.over(new ReplayKernel(() => recv("dump-v4")));
    const tuples = ct.list(AF_INET).map(({ origTuple: _, ...e }) => e);
    expect(tuples).toEqual([
      { family: AF_INET, proto: 17, src: "10.0.0.3", dst: "10.0.0.2", sport: 1237, dport: 8080, zone: 7 },
      { family: AF_INET, proto: 17, src: "10.0.0.1", dst: "10.0.0.2", sport: 1234, dport: 8080 },
      { family: AF_INET, proto: 6, src: "10.0.0.1", dst: "10.0.0.2", sport: 1236, dport: 8080 },
      { family: AF_INET, proto: 17, src: "10.0.0.1", dst: "10.0.0.2", sport: 1235, dport: 9090 },
    ]);
  });

  test("IPv6 dump and an empty table", () => {
    using v6 = Conntrack.over(new ReplayKernel(() => recv("dump-v6")));
    expect(v6.list(AF_INET6).map((e) => [e.src, e.dst, e.dport])).toEqual([["fd00::1", "fd00::2", 8080]]);
    using empty = Conntrack.over(new ReplayKernel(() => recv("dump-empty")));
    expect(empty.list(AF_INET)).toEqual([]);
  });

  test("non-entry messages decode to undefined", () => {
    const done = received("conntrack", "dump-empty")[0];
    expect(done && decodeCtEntry(done)).toBeUndefined();
  });
});

describe("conntrack delete by UDP destination port", () => {
  // delete-udp-8080-v4: conntrack -D dumped once, then deleted the zone-7 entry and the zone-0 one.
  const [dump = new Uint8Array(), ack1 = new Uint8Array(), ack2 = new Uint8Array(), done = new Uint8Array()] = recv("delete-udp-8080-v4");
  const theirDeletes = datagrams("conntrack", "delete-udp-8080-v4", "send").filter((d) => type(d) === DELETE);

  test("the recorded ACKs decode as success", () => {
    for (const a of [ack1, ack2]) expect(parseError({ type: 2, flags: 0, seq: 0, pid: 0, payload: a.subarray(16) }).errno).toBe(0);
  });

  test("dump fallback: one delete per match, each attribute byte-identical to conntrack -D's", () => {
    const fake = new ReplayKernel((n) => (n === 0 ? [dump, done] : [ack1]));
    using ct = Conntrack.over(fake);
    expect(ct.deleteUdpByDstPort(AF_INET, [8080], { kernelFilter: false })).toBe("dump");
    const ours = fake.sent.filter((d) => type(d) === DELETE);
    expect(ours).toHaveLength(2);
    expect(theirDeletes).toHaveLength(2);
    ours.forEach((d, i) => {
      const theirs = theirDeletes[i] ?? new Uint8Array();
      // Same type, NLM_F_REQUEST|NLM_F_ACK and nfgenmsg; our attributes are a subset of theirs.
      expect(Buffer.from(d.subarray(4, 8)).toString("hex")).toBe(Buffer.from(theirs.subarray(4, 8)).toString("hex"));
      expect(Buffer.from(d.subarray(16, 20)).toString("hex")).toBe(Buffer.from(theirs.subarray(16, 20)).toString("hex"));
      const mine = rawAttrs(d);
      expect(mine.length).toBe(i === 0 ? 2 : 1); // the zone-7 entry also names its CTA_ZONE
      for (const a of mine) expect(rawAttrs(theirs)).toContain(a);
    });
  });

  test("an entry that vanished before its delete (ENOENT) is not an error", () => {
    using ct = Conntrack.over(new ReplayKernel((n) => (n === 0 ? [dump, done] : [refusal(ack1, 2)])));
    expect(ct.deleteUdpByDstPort(AF_INET, [8080], { kernelFilter: false })).toBe("dump");
  });

  test("kernel filter: one request per port, no dump, when the kernel accepts it", () => {
    const fake = new ReplayKernel(() => [ack1]);
    using ct = Conntrack.over(fake);
    expect(ct.deleteUdpByDstPort(AF_INET, [8080, 8053, 8080])).toBe("kernel-filter");
    expect(fake.sent.map(type)).toEqual([DELETE, DELETE]);
  });

  test("kernel filter refused (EINVAL on older kernels): falls back to dump + delete", () => {
    const fake = new ReplayKernel((n) => (n === 0 ? [refusal(ack1, 22)] : n === 1 ? [dump, done] : [ack1]));
    using ct = Conntrack.over(fake);
    expect(ct.deleteUdpByDstPort(AF_INET, [8080])).toBe("dump");
    expect(fake.sent.map(type)).toEqual([DELETE, GET, DELETE, DELETE]);
  });

  test("other errors surface (EPERM)", () => {
    using ct = Conntrack.over(new ReplayKernel(() => [refusal(ack1, 1)]));
    expect(() => ct.deleteUdpByDstPort(AF_INET, [8080])).toThrow(NetlinkError);
  });

  test("the filtered delete reuses the kernel's own protocol and port attributes", () => {
    const req = encodeMessage(ctDeleteByProtoPortRequest(AF_INET, 17, 8080), 0);
    // The UDP dport 8080 entry in the recorded dump: its CTA_PROTO_NUM and CTA_PROTO_DST_PORT bytes.
    const entry = received("conntrack", "delete-udp-8080-v4").flatMap((m) => decodeCtEntry(m) ?? []).find((e) => e.zone === undefined && e.dport === 8080 && e.proto === 17);
    const kernelProto = [...attrs(entry?.origTuple ?? new Uint8Array())].find((a) => a.type === CTA_TUPLE_PROTO)?.data ?? new Uint8Array();
    const protoHex = (b: Uint8Array): string[] => [...attrs(b)].filter((a) => a.type !== CTA_PROTO_SRC_PORT).map((a) => Buffer.from(a.data).toString("hex"));
    const orig = [...attrs(req.subarray(20))].find((a) => a.type === CTA_TUPLE_ORIG)?.data ?? new Uint8Array();
    const ourProto = [...attrs(orig)].find((a) => a.type === CTA_TUPLE_PROTO)?.data ?? new Uint8Array();
    expect(protoHex(ourProto)).toEqual(protoHex(kernelProto)); // num 17, dport 0x1f90
    // Whole layout, for review: nlmsghdr, nfgenmsg AF_INET, ORIG{PROTO{NUM 17, DST_PORT 8080}}, FILTER{ORIG_FLAGS 0x28}.
    expect(masked(req)).toBe(
      "38000000020101000000000000000000" + "02000000" + "1800018014000280050001001100000006000300" + "1f900000" + "0c0019800800010028000000",
    );
  });
});
