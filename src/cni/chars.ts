/**
 * Character classes tested by hand on every plugin exec's path (names, CNI_IFNAME, config numbers)
 * instead of with regexes: the first regex a process runs costs JSC's regex set-up, ~10 heap pages
 * and ~25 k instructions before it matches anything (docs/performance.md, per-exec floor). Each is
 * unit-tested against the regex it replaces (test/unit/cni/chars.test.ts).
 */

/** `[a-zA-Z0-9]` */
export function isAsciiAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** `[0-9]` */
export function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** What a JS regex's `\s` matches: white space and line terminators (none astral). */
export function isJsSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * `Buffer.byteLength(s)`: the UTF-8 length, a lone surrogate counted as the 3 bytes of the U+FFFD
 * it is encoded as. By hand because `Buffer`'s first use in a process costs ~0.37 M instructions
 * (~0.1 ms), and every ADD, CHECK and DEL measures CNI_IFNAME (docs/performance.md, per-exec floor).
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * A JSON key or field name as Go's decoder compares them when the exact name does not match: its
 * case folding puts `ſ` (U+017F) with `s` and the Kelvin sign with `k`; toLowerCase gives the
 * Kelvin sign's `k` but leaves `ſ`. For a field name (ASCII) this compares exactly as Go does.
 */
export function goFoldKey(s: string): string {
  const lower = s.toLowerCase();
  return lower.includes("\u017f") ? lower.split("\u017f").join("s") : lower;
}
