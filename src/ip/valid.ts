/**
 * "Would Go accept this IP / CIDR text?" without loading ipaddr.js for the forms results and
 * configs almost always carry: plain dotted IPv4 and colon-hex IPv6 are judged by a scan of their
 * characters; anything else (an embedded IPv4 tail, leading zeros, any doubt) by the full parsers
 * in parse.ts. The scan only ever answers "valid" where they do too (test/unit/ip/valid.test.ts
 * compares both on every input it generates), so the answer is always theirs. A portmap exec
 * without mappings then never evaluates ipaddr.js (docs/performance.md).
 */
import { parseCIDRLiteral, parseIPLiteral } from "./parse.ts";

const DOT = 46;
const COLON = 58;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Four decimal fields 0-255, no leading zero, nothing else. */
function plainV4(s: string, end: number): boolean {
  let fields = 0;
  let i = 0;
  while (i < end) {
    const start = i;
    let value = 0;
    while (i < end && isDigit(s.charCodeAt(i))) value = value * 10 + (s.charCodeAt(i++) - 48);
    const len = i - start;
    if (len === 0 || len > 3 || value > 255 || (len > 1 && s.charCodeAt(start) === 48)) return false;
    fields++;
    if (i === end) break;
    if (s.charCodeAt(i) !== DOT || fields === 4) return false;
    i++;
    if (i === end) return false;
  }
  return fields === 4;
}

/** Groups of 1-4 hex digits separated by ":", eight of them, or at most seven around one "::". */
function plainV6(s: string, end: number): boolean {
  let groups = 0;
  let ellipsis = false;
  let i = 0;
  if (s.charCodeAt(0) === COLON) {
    if (end < 2 || s.charCodeAt(1) !== COLON) return false;
    ellipsis = true;
    i = 2;
  }
  while (i < end) {
    const start = i;
    while (i < end && isHex(s.charCodeAt(i))) i++;
    const len = i - start;
    if (len === 0 || len > 4) return false;
    groups++;
    if (i === end) break;
    if (s.charCodeAt(i) !== COLON) return false;
    i++;
    if (i < end && s.charCodeAt(i) === COLON) {
      if (ellipsis) return false;
      ellipsis = true;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  return ellipsis ? groups <= 7 : groups === 8;
}

/** The first `end` characters of `s` as a plain address, judged by the scan alone. */
function plainIP(s: string, end: number): boolean {
  return s.includes(":") ? plainV6(s, end) : plainV4(s, end);
}

/** `net.ParseIP(s) != nil`. */
export function isIP(s: string): boolean {
  return plainIP(s, s.length) || parseIPLiteral(s) !== undefined;
}

/** `net.ParseCIDR(s)` succeeds. */
export function isCIDR(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash > 0 && slash < s.length - 1 && s.length - slash <= 4 && plainIP(s, slash)) {
    let prefix = 0;
    let digits = true;
    for (let i = slash + 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      digits &&= isDigit(c);
      prefix = prefix * 10 + (c - 48);
    }
    if (digits && prefix <= (s.includes(":") ? 128 : 32)) return true;
  }
  return parseCIDRLiteral(s) !== undefined;
}
