import { expect, test } from "bun:test";
import ipaddr from "ipaddr.js";
import { ipBytesString } from "../../../src/ip/index.ts";
import { seededRandom } from "../../fixtures/seeded-random.ts";

/** Zero-heavy addresses: every run length and position of zero groups, plus random ones. */
function samples(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let mask = 0; mask < 256; mask++) {
    const b = new Uint8Array(16);
    for (let g = 0; g < 8; g++) if (mask & (1 << g)) b[2 * g + 1] = g + 1;
    out.push(b);
  }
  const random = seededRandom(7);
  const rnd = () => random.below(2 ** 24);
  for (let n = 0; n < 500; n++) out.push(Uint8Array.from({ length: 16 }, () => (rnd() % 3 === 0 ? rnd() & 0xff : 0)));
  return out;
}

test("IPv6 bytes print exactly as ipaddr.js's toString (RFC 5952)", () => {
  const all = samples();
  for (const b of all) expect(ipBytesString(b)).toBe(ipaddr.fromByteArray(Array.from(b)).toString());
  expect(all.length).toBe(756);
});

test("the forms RFC 5952 fixes: leftmost longest run, no run of one, mapped IPv4 stays hex", () => {
  const v6 = (s: string) => Uint8Array.from(ipaddr.parse(s).toByteArray());
  expect(ipBytesString(v6("::1"))).toBe("::1");
  expect(ipBytesString(v6("::"))).toBe("::");
  expect(ipBytesString(v6("1:0:0:2:0:0:3:4"))).toBe("1::2:0:0:3:4");
  expect(ipBytesString(v6("1:0:2:3:4:5:6:7"))).toBe("1:0:2:3:4:5:6:7");
  expect(ipBytesString(v6("1:0:0:2:0:0:0:3"))).toBe("1:0:0:2::3");
  expect(ipBytesString(v6("fe80::"))).toBe("fe80::");
  expect(ipBytesString(v6("::ffff:127.0.0.1"))).toBe("::ffff:7f00:1");
  expect(ipBytesString(Uint8Array.of(127, 0, 0, 1))).toBe("127.0.0.1");
  expect(() => ipBytesString(new Uint8Array(5))).toThrow("4 or 16 bytes");
});
