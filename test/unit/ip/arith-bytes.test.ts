/**
 * compareIP and nextIP work on the address bytes; the numbers they stand for are the reference
 * (Go's ip.Cmp and pkg/ip NextIP), computed here through the BigInt forms.
 */
import { expect, test } from "bun:test";
import { type Addr, bitLength, compareIP, fromBigInt, ipString, nextIP, parseIP, toBigInt } from "../../../src/ip/index.ts";
import { seededRandom } from "../../fixtures/seeded-random.ts";

const v4 = ["0.0.0.0", "0.0.0.1", "0.0.0.255", "0.0.1.0", "10.0.0.255", "10.0.255.255", "10.1.0.0", "127.255.255.255", "128.0.0.0", "192.168.1.7", "255.255.255.254", "255.255.255.255"];
const v6 = ["::", "::1", "::ff", "::100", "::ffff", "::1:0", "2001:db8::ffff", "2001:db8::1:0", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::", "fe80::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"];

// A spread of addresses between the edges too, from a fixed-seed generator.
const random = seededRandom(7);
const rand = (n: number): number => random.below(n);
for (let i = 0; i < 40; i++) v4.push([rand(256), rand(256), rand(256), rand(256)].join("."));
for (let i = 0; i < 40; i++) v6.push(Array.from({ length: 8 }, () => rand(65536).toString(16)).join(":"));

const sign = (n: number | bigint): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

for (const [family, texts] of [["IPv4", v4], ["IPv6", v6]] as const) {
  const ips: Addr[] = texts.map((t) => parseIP(t)!);

  test(`${family}: compareIP orders as the addresses' numbers do`, () => {
    for (const a of ips) for (const b of ips) {
      expect([ipString(a), ipString(b), sign(compareIP(a, b))]).toEqual([ipString(a), ipString(b), sign(toBigInt(a) - toBigInt(b))]);
    }
  });

  test(`${family}: nextIP is the number plus one, wrapping at the family's end`, () => {
    for (const a of ips) {
      const bits = bitLength(a);
      const want = fromBigInt((toBigInt(a) + 1n) % (1n << BigInt(bits)), bits);
      expect([ipString(a), ipString(nextIP(a))]).toEqual([ipString(a), ipString(want)]);
    }
  });
}

test("across families compareIP still orders by the numbers (a mixed range's error wording depends on it)", () => {
  for (const a of [...v4, ...v6]) for (const b of ["255.255.255.255", "0.0.0.0", "::", "::1", "::ffff:ffff", "::1:0:0", "ffff::"]) {
    const x = parseIP(a)!;
    const y = parseIP(b)!;
    expect([a, b, sign(compareIP(x, y))]).toEqual([a, b, sign(toBigInt(x) - toBigInt(y))]);
  }
});
