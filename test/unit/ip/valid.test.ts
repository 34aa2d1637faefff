/**
 * isIP / isCIDR (src/ip/valid.ts) answer exactly as parseIP / parseCIDR: their character scan may
 * only say "valid" where the full parsers do. Compared on hand-picked edge cases and on tens of
 * thousands of generated texts shaped like addresses (group counts, lengths, "::" placement, case,
 * dotted tails, prefixes) and of random characters from the address alphabet.
 */
import { describe, expect, test } from "bun:test";
import ipaddr from "ipaddr.js";
import { isCIDR, isIP, parseCIDR, parseCIDRLiteral, parseIP, parseIPLiteral } from "../../../src/ip/index.ts";
import { seededRandom } from "../../fixtures/seeded-random.ts";

/** A deterministic generator, so a failure names a reproducible input. */
function rng(seed: number): () => number {
  return seededRandom(seed).unit;
}

const EDGES = [
  "", ":", "::", ":::", "::1", "1::", "1:", ":1", "1::2::3", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7",
  "1:2:3:4:5:6::7:8", "1:2:3:4::5:6:7:8", "12345::1", "ABCD:ef01::", "g::1", "::ffff:10.1.2.3", "1:2:3:4:5:6:1.2.3.4", "fe80::1%eth0",
  "10.1.2.3", "0.0.0.0", "255.255.255.255", "256.1.2.3", "10.1.2", "10.1.2.3.4", "10.1.2.3.", ".10.1.2.3", "010.1.2.3", "10..2.3", "1.2.3.04",
  "0x0a.1.2.3", " 10.1.2.3", "10.1.2.3 ", "1e1.1.1.1", "-1.2.3.4", "+1.2.3.4",
];

function shapedV6(r: () => number): string {
  const hex = "0123456789abcdefABCDEF";
  const n = Math.floor(r() * 10);
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = Math.floor(r() * 6);
    let g = "";
    for (let j = 0; j < len; j++) g += hex[Math.floor(r() * hex.length)];
    groups.push(g);
  }
  let s = groups.join(":");
  const at = r();
  if (at < 0.5) {
    const parts = s.split(":");
    const k = Math.floor(r() * (parts.length + 1));
    s = `${parts.slice(0, k).join(":")}::${parts.slice(k).join(":")}`;
  } else if (at < 0.6) {
    s = `${s}::`;
  }
  if (r() < 0.1) s = `${s}:${shapedV4(r)}`;
  return s;
}

function shapedV4(r: () => number): string {
  const n = 2 + Math.floor(r() * 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    parts.push(x < 0.1 ? "" : x < 0.2 ? `0${Math.floor(r() * 30)}` : String(Math.floor(r() * 300)));
  }
  return parts.join(".");
}

function randomText(r: () => number): string {
  const alphabet = "0123456789abcdefABCDEFxg:./ %-";
  const len = Math.floor(r() * 20);
  let s = "";
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

function corpus(): string[] {
  const r = rng(20261207);
  const out = [...EDGES];
  for (let i = 0; i < 20000; i++) out.push(shapedV6(r), shapedV4(r), randomText(r));
  return out;
}

const PREFIXES = ["", "/", "/0", "/8", "/24", "/024", "/32", "/33", "/64", "/128", "/129", "/0128", "/-1", "/a", "/1/2", "/ 8", "/99999", "/100000"];

describe("isIP and isCIDR answer as the full parsers", () => {
  const texts = corpus();

  test("the corpus holds both answers for both families", () => {
    const valid = texts.filter((t) => parseIP(t) !== undefined);
    expect(valid.filter((t) => t.includes(":")).length).toBeGreaterThan(1000);
    expect(valid.filter((t) => !t.includes(":")).length).toBeGreaterThan(1000);
    expect(texts.length - valid.length).toBeGreaterThan(10000);
  });

  test("isIP", () => {
    const wrong = texts.filter((t) => isIP(t) !== (parseIP(t) !== undefined));
    expect(wrong).toEqual([]);
  });

  test("isCIDR", () => {
    const r = rng(7);
    const wrong: string[] = [];
    for (const t of texts) {
      for (let k = 0; k < 3; k++) {
        const c = `${t}${PREFIXES[Math.floor(r() * PREFIXES.length)]}`;
        if (isCIDR(c) !== (parseCIDR(c) !== undefined)) wrong.push(c);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/**
 * net.ParseIP over ipaddr.js alone, as parse.ts read every text before its plain scan: the
 * oracle for the scan's texts and numbers (parseIP itself now takes the scan's path first).
 */
function ipaddrOnly(s: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!s.includes(":")) return ipaddr.IPv4.isValidFourPartDecimal(s) ? ipaddr.IPv4.parse(s) : undefined;
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  const colon = s.lastIndexOf(":");
  const tail = s.slice(colon + 1);
  if (tail.includes(".")) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(tail)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(tail).octets;
    text = `${s.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  if (text.split(":").some((g) => g.length > 4)) return undefined;
  return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : undefined;
}

describe("parseIP's plain scan reads what ipaddr.js reads", () => {
  const texts = corpus();

  test("every text: the same answer, the same class and the same numbers", () => {
    const wrong = texts.filter((t) => {
      const got = parseIPLiteral(t);
      const want = ipaddrOnly(t);
      if (got === undefined || want === undefined) return got !== want;
      return got.constructor !== want.constructor || JSON.stringify(got) !== JSON.stringify(want);
    });
    expect(wrong).toEqual([]);
  });

  test("CIDR prefixes: digits only, one to five of them, leading zeros allowed", () => {
    const r = rng(11);
    const wrong: string[] = [];
    for (const t of texts) {
      const c = `${t}${PREFIXES[Math.floor(r() * PREFIXES.length)]}`;
      const slash = c.indexOf("/");
      const len = c.slice(slash + 1);
      const ip = slash < 0 || !/^[0-9]{1,5}$/.test(len) ? undefined : ipaddrOnly(c.slice(0, slash));
      const bits = ip === undefined ? 0 : ip.kind() === "ipv4" ? 32 : 128;
      const want = ip === undefined || Number(len) > bits ? undefined : `${ip.toString()}/${Number(len)}`;
      const got = parseCIDRLiteral(c);
      if ((got === undefined ? undefined : `${got.ip.toString()}/${got.prefix}`) !== want) wrong.push(c);
    }
    expect(wrong).toEqual([]);
  });
});
