/**
 * Plain dotted IPv4 texts are read by a character scan on the firewall's ADD path (planning,
 * the xt encoder, the route lookup's address) instead of through ipaddr.js; every text must give
 * what the full parser gives, and every other text must still go to it (same result, same error).
 */
import { describe, expect, test } from "bun:test";
import { cidrText, ipString, networkAddress, parseCIDRLiteral, parseIPLiteral, scanV4Cidr } from "../../../src/ip/index.ts";
import { parseCidr, parseIp } from "../../../src/firewall/validate.ts";
import { encodeXtRule } from "../../../src/firewall/xt-encode.ts";
import { exprWire } from "../../../src/netlink/nft/expr-wire.ts";
import { NFT_CMP_EQ, NFT_CMP_NEQ, NFT_PAYLOAD_NETWORK_HEADER } from "../../../src/netlink/nft/constants.ts";
import { counter, dnatInfo, prefixMatch, verdict, xtTarget } from "../../../src/netlink/nft/xt.ts";
import { NF_ACCEPT } from "../../../src/netlink/nft/constants.ts";
import { parseIp as wireIp } from "../../../src/netlink/wire.ts";

const ADDRS = ["0.0.0.0", "10.100.0.5", "10.88.0.1", "127.0.0.1", "192.168.255.254", "255.255.255.255", "1.2.3.4", "172.16.9.77"];
const ODD = ["01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "", "::1", "::ffff:1.2.3.4", "2001:db8::5", "1..2.3", "a.b.c.d"];
const PREFIXES = ["0", "1", "7", "8", "9", "15", "16", "17", "23", "24", "25", "31", "32", "08", "008", "00032", "000000", "33", "", "x", "3 "];

/** What the full parser says: the result or the error's message. */
function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function fullCidr(text: string): unknown {
  const c = parseCIDRLiteral(text);
  if (c === undefined) return undefined;
  const address = ipString(c.ip);
  return { family: c.ip.kind() === "ipv4" ? 4 : 6, address, prefix: c.prefix, network: cidrText(networkAddress(c.ip, c.prefix), c.prefix) };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("plain IPv4 by scan", () => {
  test("scanV4Cidr takes exactly the IPv4 texts parseCIDRLiteral takes, with the same octets and prefix", () => {
    let fast = 0;
    for (const a of [...ADDRS, ...ODD]) {
      for (const p of PREFIXES) {
        const text = `${a}/${p}`;
        const mine = scanV4Cidr(text);
        const full = parseCIDRLiteral(text);
        if (mine === undefined) {
          // Left to the full parser: never an IPv4 text it reads as a plain quad.
          if (full !== undefined && full.ip.kind() === "ipv4") expect(scanLike(a)).toBe(false);
          continue;
        }
        fast++;
        expect(full).toBeDefined();
        expect(mine.prefix).toBe(full?.prefix ?? -1);
        expect(mine.octets).toEqual(full?.ip.toByteArray() ?? []);
      }
    }
    expect(fast).toBe(ADDRS.length * 16); // every prefix of 1-5 digits up to 32
  });

  test("parseCidr and parseIp give the full parser's result or error for every text", () => {
    for (const a of [...ADDRS, ...ODD]) {
      for (const p of PREFIXES) {
        const text = `${a}/${p}`;
        const mine = outcome(() => parseCidr("container address", text));
        const full = fullCidr(text);
        if (full === undefined) expect(mine).toHaveProperty("error");
        else if (!(mine as { error?: string }).error) {
          const m = mine as { family: number; address: string; prefix: number; network: string; unspecified: boolean };
          expect(JSON.stringify({ family: m.family, address: m.address, prefix: m.prefix, network: m.network })).toBe(JSON.stringify(full));
          expect(m.unspecified).toBe(m.address === "0.0.0.0" || m.address === "::");
        }
      }
      const ip = outcome(() => parseIp("host IP", a));
      const lit = parseIPLiteral(a);
      if (lit === undefined) expect(ip).toHaveProperty("error");
      else expect(ip).toEqual({ family: lit.kind() === "ipv4" ? 4 : 6, address: ipString(lit), unspecified: ipString(lit) === "0.0.0.0" || ipString(lit) === "::" });
    }
  });

  test("the route lookup's address bytes are the full parser's", () => {
    for (const a of [...ADDRS, ...ODD]) {
      const lit = parseIPLiteral(a);
      const mine = outcome(() => wireIp(a));
      if (lit === undefined) expect(mine).toHaveProperty("error");
      else expect(mine).toEqual({ family: lit.kind() === "ipv4" ? 2 : 10, bytes: new Uint8Array(lit.toByteArray()) });
    }
  });

  test("the xt encoder writes the full parser's bytes for source, destination and DNAT addresses", () => {
    for (const a of ADDRS) {
      for (const p of ["1", "8", "12", "16", "24", "31", "32", "08"]) {
        const full = parseCIDRLiteral(`${a}/${p}`);
        if (full === undefined) continue;
        const bytes = new Uint8Array(full.ip.toByteArray());
        for (const not of [false, true]) {
          const rule = encodeXtRule(4, { src: { cidr: `${a}/${p}`, not }, matches: [], verdict: { kind: "accept" } });
          const want = [...prefixMatch(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, not ? NFT_CMP_NEQ : NFT_CMP_EQ, bytes, full.prefix), counter(), verdict(NF_ACCEPT)];
          expect((rule?.exprs ?? []).map((e) => hex(exprWire(e)))).toEqual(want.map((e) => hex(exprWire(e))));
        }
      }
      const dnat = encodeXtRule(4, { proto: "tcp", matches: [], verdict: { kind: "dnat", addr: a, port: 8080 } });
      expect(hex(exprWire(dnat?.exprs.at(-1) ?? counter()))).toBe(hex(exprWire(xtTarget("DNAT", 2, dnatInfo(new Uint8Array(parseIPLiteral(a)?.toByteArray() ?? []), 8080)))));
    }
    // The other family, prefix 0 and odd texts have no in-process form, as before.
    expect(encodeXtRule(6, { src: { cidr: "10.0.0.0/8" }, matches: [], verdict: { kind: "accept" } })).toBeUndefined();
    expect(encodeXtRule(4, { src: { cidr: "10.0.0.0/0" }, matches: [], verdict: { kind: "accept" } })).toBeUndefined();
    expect(encodeXtRule(6, { proto: "tcp", matches: [], verdict: { kind: "dnat", addr: "10.0.0.1", port: 80 } })).toBeUndefined();
    expect(encodeXtRule(4, { proto: "tcp", matches: [], verdict: { kind: "dnat", addr: "10.0.0.1", port: 0 } })).toBeUndefined();
  });
});

/** Whether the address text is a canonical dotted quad (what the scan takes). */
function scanLike(a: string): boolean {
  const lit = parseIPLiteral(a);
  return lit !== undefined && lit.kind() === "ipv4" && ipString(lit) === a;
}
