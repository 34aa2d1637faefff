/**
 * The plain forms of IP text, read by a scan of their characters: dotted IPv4 (four decimal
 * fields 0-255, no leading zero) and colon-hex IPv6 (groups of 1-4 hex digits, eight of them or
 * at most seven around one "::", no dotted tail, no zone). Every text a scan accepts is one Go
 * and ipaddr.js accept too, and `out` gets the numbers they read from it (test/unit/ip/valid.test.ts,
 * scan.test.ts); anything else is for the full parsers. Costs no regex: the first parse of an
 * exec otherwise compiles ipaddr.js's and ours (docs/performance.md).
 */
const DOT = 46;
const COLON = 58;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A hex digit's value, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The first `end` characters of `s` as plain IPv4; `out`, when given, gets the four octets. */
export function scanV4(s: string, end: number, out?: number[]): boolean {
  let fields = 0;
  let i = 0;
  while (i < end) {
    const start = i;
    let value = 0;
    while (i < end && isDigit(s.charCodeAt(i))) value = value * 10 + (s.charCodeAt(i++) - 48);
    const len = i - start;
    if (len === 0 || len > 3 || value > 255 || (len > 1 && s.charCodeAt(start) === 48)) return false;
    if (out !== undefined) out[fields] = value;
    fields++;
    if (i === end) break;
    if (s.charCodeAt(i) !== DOT || fields === 4) return false;
    i++;
    if (i === end) return false;
  }
  return fields === 4;
}

/** The first `end` characters of `s` as plain IPv6; `out`, when given, gets the eight groups. */
export function scanV6(s: string, end: number, out?: number[]): boolean {
  let groups = 0;
  // How many groups stand before the "::", or -1 without one.
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === COLON) {
    if (end < 2 || s.charCodeAt(1) !== COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let value = 0;
    for (let h = hexValue(s.charCodeAt(i)); i < end && h >= 0; h = hexValue(s.charCodeAt(++i))) value = value * 16 + h;
    const len = i - start;
    if (len === 0 || len > 4) return false;
    if (out !== undefined && groups < 8) out[groups] = value;
    groups++;
    if (i === end) break;
    if (s.charCodeAt(i) !== COLON) return false;
    i++;
    if (i < end && s.charCodeAt(i) === COLON) {
      if (gap >= 0) return false;
      gap = groups;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap >= 0 ? groups > 7 : groups !== 8) return false;
  if (out !== undefined && gap >= 0) {
    // The groups after "::" move to the end; the ones it stands for are zero.
    const missing = 8 - groups;
    for (let k = groups - 1; k >= gap; k--) out[k + missing] = out[k]!;
    for (let k = gap; k < gap + missing; k++) out[k] = 0;
  }
  return true;
}

/**
 * The decimal prefix after the "/" at `slash`: 1 to 5 digits and nothing else, as Go's
 * net.ParseCIDR reads it (range checks are the caller's), or -1.
 */
export function scanPrefix(s: string, slash: number): number {
  const digits = s.length - slash - 1;
  if (slash < 0 || digits < 1 || digits > 5) return -1;
  let prefix = 0;
  for (let i = slash + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    prefix = prefix * 10 + (c - 48);
  }
  return prefix;
}

/**
 * A plain dotted IPv4 CIDR (`a.b.c.d/n`: what runtimes and IPAM write) as parseCIDRLiteral reads
 * it: its four octets and prefix (at most 32), or undefined for any other text, which the full
 * parser then decides. No ipaddr.js object, no BigInt: a portmap or masquerade ADD's addresses are
 * nearly all these, and it runs in JSC's interpreter (docs/performance.md).
 */
export function scanV4Cidr(s: string): { readonly octets: number[]; readonly prefix: number } | undefined {
  const slash = s.indexOf("/");
  const prefix = scanPrefix(s, slash);
  const octets: number[] = [];
  return prefix >= 0 && prefix <= 32 && scanV4(s, slash, octets) ? { octets, prefix } : undefined;
}
