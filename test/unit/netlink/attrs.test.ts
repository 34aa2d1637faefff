import { expect, test } from "bun:test";
import { attrs, getString, getU16, getU32, Writer } from "../../../src/netlink/attrs.ts";

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
