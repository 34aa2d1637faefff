/**
 * The text Go prints for an address or CIDR it parsed out of a result (net.IP.String(),
 * types.IPNet's String()): results pass through runtimes and plugins as Go values, so a
 * prevResult's "2001:DB8:0::0002/64" comes back out of v1.9.1 as "2001:db8::2/64" and
 * "::ffff:10.0.0.2/120" as "10.0.0.2/24" (an IPv4-mapped address is printed as IPv4 and its
 * 16-byte mask loses 96 bits). Input is text the schema has already accepted. Texts already in
 * that form (all that tscni and the reference write) are recognised by a scan of their characters
 * and returned as they are; only others load ipaddr.js.
 */
import { ipBytesString, parseIPLiteral } from "../ip/index.ts";

const COLON = 58;
const ZERO = 48;

/**
 * Is the valid IPv6 text s[0, end) exactly Go's String() of itself? Lowercase groups without
 * leading zeros, "::" for the longest run of two or more zero groups (the leftmost on a tie) and
 * nowhere else, no dotted tail, not IPv4-mapped (Go prints those dotted).
 */
export function canonicalV6(s: string, end: number): boolean {
  let groups = 0;
  let gap = -1; // groups written before "::"
  let run = 0; // zero groups just written
  let longestBefore = 0; // longest zero run before "::" (or anywhere, without one)
  let longestAfter = 0;
  let i = 0;
  if (end >= 2 && s.charCodeAt(0) === COLON && s.charCodeAt(1) === COLON) {
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    // Lowercase hex digits, inline: a call per character costs more than the scan (the first
    // ADD runs this in the interpreter).
    for (let c = s.charCodeAt(i); i < end && ((c >= ZERO && c <= 57) || (c >= 97 && c <= 102)); c = s.charCodeAt(++i));
    const len = i - start;
    if (len === 0 || len > 4 || (len > 1 && s.charCodeAt(start) === ZERO)) return false;
    const zero = len === 1 && s.charCodeAt(start) === ZERO;
    // A zero group next to "::" belongs to the run it shortens.
    if (zero && gap === groups) return false;
    run = zero ? run + 1 : 0;
    if (gap < 0 && run > longestBefore) longestBefore = run;
    if (gap >= 0 && run > longestAfter) longestAfter = run;
    groups++;
    if (i === end) break;
    if (s.charCodeAt(i) !== COLON) return false;
    i++;
    if (i < end && s.charCodeAt(i) === COLON) {
      if (gap >= 0 || zero) return false;
      gap = groups;
      run = 0;
      i++;
    }
  }
  if (gap < 0) return groups === 8 && longestBefore < 2;
  const elided = 8 - groups;
  if (elided < 2 || longestBefore >= elided || longestAfter > elided) return false;
  return !(gap === 0 && groups === 3 && s.startsWith("::ffff:"));
}

/** Bytes 0-9 zero, 10-11 0xff: Go's To4 succeeds and String() prints the last four dotted. */
function mappedV4(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The address bytes of an accepted text and whether Go prints them as IPv4 (4 bytes or mapped). */
function goBytes(s: string): { bytes: Uint8Array; v4: boolean } {
  const ip = parseIPLiteral(s);
  if (ip === undefined) throw new Error(`not an IP address: ${s}`);
  const bytes = Uint8Array.from(ip.toByteArray());
  return { bytes, v4: bytes.byteLength === 4 || mappedV4(bytes) };
}

function v4Text(b: Uint8Array): string {
  return b.subarray(b.byteLength - 4).join(".");
}

/**
 * Go's String() of an accepted address (`cidr` false: net.IP) or CIDR (types.IPNet, host bits
 * kept as types.ParseCIDR keeps them). One small function on purpose: every ADD with a
 * prevResult runs it, and its bytecode is generated on that first call.
 */
export function goText(s: string, cidr: boolean): string {
  const end = cidr ? s.indexOf("/") : s.length;
  // A prefix is Go's text unless it has a leading zero ("/024").
  const plainPrefix = !cidr || end + 2 === s.length || s.charCodeAt(end + 1) !== ZERO;
  // Go accepts IPv4 only as four decimal parts without leading zeros: already its own text.
  if (plainPrefix && (!s.includes(":") || canonicalV6(s, end))) return s;
  return rewritten(s, cidr ? end : -1);
}

function rewritten(s: string, slash: number): string {
  const text = slash < 0 ? s : s.slice(0, slash);
  const prefix = slash < 0 ? -1 : Number(s.slice(slash + 1));
  const { bytes, v4 } = goBytes(text);
  if (prefix < 0) return v4 ? v4Text(bytes) : ipBytesString(bytes);
  // The mask stays 16 bytes for an IPv6 text; String() keeps its last four for an IPv4 address.
  if (v4) return `${v4Text(bytes)}/${bytes.byteLength === 16 ? Math.max(prefix - 96, 0) : prefix}`;
  return `${ipBytesString(bytes)}/${prefix}`;
}

