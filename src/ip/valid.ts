/**
 * "Would Go accept this IP / CIDR text?" without loading ipaddr.js for the forms results and
 * configs almost always carry: plain dotted IPv4 and colon-hex IPv6 are judged by a scan of their
 * characters; anything else (an embedded IPv4 tail, leading zeros, any doubt) by the full parsers
 * in parse.ts. The scan only ever answers "valid" where they do too (test/unit/ip/valid.test.ts
 * compares both on every input it generates), so the answer is always theirs. A portmap exec
 * without mappings then never evaluates ipaddr.js (docs/performance.md).
 */
import { parseCIDRLiteral, parseIPLiteral } from "./parse.ts";
import { scanPrefix, scanV4, scanV6 } from "./scan.ts";

/** The first `end` characters of `s` as a plain address, judged by the scan alone. */
function plainIP(s: string, end: number): boolean {
  return s.includes(":") ? scanV6(s, end) : scanV4(s, end);
}

/** `net.ParseIP(s) != nil`. */
export function isIP(s: string): boolean {
  return plainIP(s, s.length) || parseIPLiteral(s) !== undefined;
}

/** `net.ParseCIDR(s)` succeeds. */
export function isCIDR(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash > 0 && s.length - slash <= 4 && plainIP(s, slash)) {
    const prefix = scanPrefix(s, slash);
    if (prefix >= 0 && prefix <= (s.includes(":") ? 128 : 32)) return true;
  }
  return parseCIDRLiteral(s) !== undefined;
}
