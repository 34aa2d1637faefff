import { expect, test } from "bun:test";
import { NLA_HDRLEN, NLA_TYPE_MASK } from "../../../src/netlink/constants.ts";
import { attrMap, AttrTable, attrs, getI32, getString, getU16, getU32, getU8, Writer } from "../../../src/netlink/attrs.ts";
import { seededRandom } from "../../fixtures/seeded-random.ts";

test("nested attributes get back-patched lengths and 4-byte padding", () => {
  const w = new Writer();
  w.attr(18, (n) => {
    n.attrBytes(1, new TextEncoder().encode("veth")); // 8
    n.attr(2, (d) => d.attrU16(1, 100)); // 4 + 8
  });
  w.attrString(3, "ab"); // 4 + 3 -> padded to 8
  const b = w.finish();
  expect(Buffer.from(b).toString("hex")).toBe(
    "18001200" + "0800010076657468" + "0c000200" + "0600010064000000" + "0700030061620000",
  );
  const top = [...attrs(b)];
  expect(top.map((a) => a.type)).toEqual([18, 3]);
  expect(getString(top[1]?.data)).toBe("ab");
  const inner = [...attrs(top[0]?.data ?? new Uint8Array())];
  expect(getString(inner[0]?.data)).toBe("veth");
  expect(getU16([...attrs(inner[1]?.data ?? new Uint8Array())][0]?.data)).toBe(100);
});

test("reader masks NLA_F_NESTED and stops at a truncated tail", () => {
  const b = Uint8Array.from([8, 0, 0x0c, 0x80, 1, 0, 0, 0, 9, 0, 1]);
  const got = [...attrs(b)];
  expect(got).toHaveLength(1);
  expect(got[0]).toMatchObject({ type: 12, nested: true });
  expect(getU32(got[0]?.data)).toBe(1);
});

test("AttrTable answers has/get/u8/u16/u32/i32 as attrMap and the DataView readers do: repeated types (last wins), nested flag masked, empty payloads, a truncated tail, every type 0-127", () => {
  const random = seededRandom(7);
  const next = (n: number): number => random.below(n);
  for (let round = 0; round < 200; round++) {
    const w = new Writer();
    const count = next(40);
    for (let i = 0; i < count; i++) {
      const type = next(4) === 0 ? next(8) : next(128);
      const bytes = new Uint8Array(next(9)).map(() => next(256));
      if (next(5) === 0) w.attr(type, (n) => n.attrBytes(1, bytes));
      else w.attrBytes(type, bytes);
    }
    const whole = w.finish();
    const buf = next(3) === 0 && whole.byteLength > 0 ? whole.subarray(0, whole.byteLength - 1 - next(Math.min(6, whole.byteLength))) : whole;
    // Sometimes at an odd offset of its buffer (AttrTable reads headers through a Uint16Array).
    const odd = new Uint8Array(buf.byteLength + 1);
    odd.set(buf, 1);
    const table = new AttrTable(next(2) === 0 ? odd.subarray(1) : buf);
    const map = attrMap(buf);
    for (let type = 0; type < 128; type++) {
      expect(table.has(type)).toBe(map.has(type));
      expect(table.get(type)).toEqual(map.get(type));
      // The byte-arithmetic readers against the DataView ones (payloads of 0-8 bytes, so
      // every "too short" case and sign bit 31 set or not).
      expect(table.u8(type)).toBe(getU8(map.get(type)));
      expect(table.u16(type)).toBe(getU16(map.get(type)));
      expect(table.u32(type)).toBe(getU32(map.get(type)));
      expect(table.i32(type)).toBe(getI32(map.get(type)));
    }
  }
});

test("the constants AttrTable's loop spells out are the named ones", () => {
  expect([NLA_HDRLEN, NLA_TYPE_MASK]).toEqual([4, 0x3fff]);
});
