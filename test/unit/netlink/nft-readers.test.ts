/**
 * The byte readers of the nf_tables decoders, written as byte arithmetic and one TextDecoder call
 * (they run in JSC's interpreter on every plugin exec): each must read exactly what a DataView
 * read, or the old per-character loop, read — and refuse what DataView refuses.
 */
import { describe, expect, test } from "bun:test";
import { be16, le32 } from "../../../src/firewall/xt-decode-info.ts";
import { be32, be32s, cString } from "../../../src/netlink/nft/expr.ts";

const samples = [
  [0, 0, 0, 0],
  [0, 0, 0, 1],
  [0x7f, 0xff, 0xff, 0xff],
  [0x80, 0, 0, 0],
  [0xff, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0x9c],
  [0x12, 0x34, 0x56, 0x78],
].map((b) => Uint8Array.from(b));

describe("nf_tables byte readers", () => {
  test("be32 / be32s read what DataView reads, and nothing from fewer than 4 bytes", () => {
    for (const b of samples) {
      const view = new DataView(b.buffer);
      expect(be32(b)).toBe(view.getUint32(0, false));
      expect(be32s(b)).toBe(view.getInt32(0, false));
    }
    const longer = Uint8Array.from([1, 2, 3, 4, 5, 6]).subarray(1);
    expect(be32(longer)).toBe(0x02030405);
    expect(be32(Uint8Array.from([1, 2, 3]))).toBeUndefined();
    expect(be32s(undefined)).toBeUndefined();
  });

  test("le32 / be16 read what DataView reads at any offset, and refuse a read past the end as DataView does", () => {
    const b = Uint8Array.from([0x9c, 0xff, 0x01, 0x80, 0x7f, 0x00, 0xfe]).subarray(1);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let off = 0; off + 4 <= b.byteLength; off++) expect(le32(b, off)).toBe(view.getUint32(off, true));
    for (let off = 0; off + 2 <= b.byteLength; off++) expect(be16(b, off)).toBe(view.getUint16(off, false));
    expect(() => view.getUint32(3, true)).toThrow(RangeError);
    expect(() => le32(b, 3)).toThrow(RangeError);
    expect(() => be16(b, 5)).toThrow(RangeError);
    expect(() => be16(b, -1)).toThrow(RangeError);
  });

  test("cString stops at the first NUL, takes the whole buffer without one, and decodes UTF-8", () => {
    const enc = new TextEncoder();
    expect(cString(enc.encode("CNI-HOSTPORT-DNAT\0junk"))).toBe("CNI-HOSTPORT-DNAT");
    expect(cString(enc.encode("nat"))).toBe("nat");
    expect(cString(new Uint8Array([0, 65]))).toBe("");
    expect(cString(enc.encode("dnat name: \"ré\"\0"))).toBe('dnat name: "ré"');
    expect(cString(Uint8Array.from([0x61, 0xff, 0x62, 0]))).toBe(new TextDecoder().decode(Uint8Array.from([0x61, 0xff, 0x62])));
    expect(cString(enc.encode(`${"x".repeat(40)}\0`))).toBe("x".repeat(40));
    expect(cString(undefined)).toBeUndefined();
  });
});
