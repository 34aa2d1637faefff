/**
 * The text Go's encoding/json gives for malformed input ("invalid character 'x' looking for
 * beginning of object key string"), so decode errors (code 6) read exactly like the reference's.
 * A small recursive scanner over bytes; it only names the first error, it does not build values.
 * Nesting is capped as Go caps it, which also keeps the recursion far from the engine's stack limit.
 */

const END = "unexpected end of JSON input";
/** Go's maxNestingDepth: the 10,001st open bracket is refused. */
export const MAX_NESTING_DEPTH = 10000;

class SyntaxFailure extends Error {}

/** Go's quoteChar: the byte as a rune in single quotes, with Go escapes for control bytes. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const named: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 0x5c: "\\\\" };
  const esc = named[c];
  if (esc !== undefined) return `'${esc}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, "0")}'`;
  if (c >= 0x80 && c < 0xa0) return `'\\u00${c.toString(16)}'`;
  return `'${String.fromCharCode(c)}'`;
}

class Scanner {
  private i = 0;
  private depth = 0;
  constructor(private readonly b: Uint8Array) {}

  private peek(): number | undefined {
    return this.b[this.i];
  }

  private next(): number {
    const c = this.b[this.i++];
    if (c === undefined) throw new SyntaxFailure(END);
    return c;
  }

  private fail(c: number, context: string): never {
    throw new SyntaxFailure(`invalid character ${quoteChar(c)} ${context}`);
  }

  private skipSpace(): void {
    for (let c = this.peek(); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = this.peek()) this.i++;
  }

  document(): void {
    this.value();
    this.skipSpace();
    const c = this.peek();
    if (c !== undefined) this.fail(c, "after top-level value");
  }

  private value(): void {
    this.skipSpace();
    const c = this.next();
    if (c === 0x7b || c === 0x5b) {
      if (++this.depth > MAX_NESTING_DEPTH) this.fail(c, "exceeded max depth");
      if (c === 0x7b) this.object();
      else this.array();
      this.depth--;
      return;
    }
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(c);
    if (c === 0x74) return this.literal("true");
    if (c === 0x66) return this.literal("false");
    if (c === 0x6e) return this.literal("null");
    this.fail(c, "looking for beginning of value");
  }

  private object(): void {
    this.skipSpace();
    if (this.peek() === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      this.skipSpace();
      const q = this.next();
      if (q !== 0x22) this.fail(q, "looking for beginning of object key string");
      this.string();
      this.skipSpace();
      const colon = this.next();
      if (colon !== 0x3a) this.fail(colon, "after object key");
      this.value();
      this.skipSpace();
      const sep = this.next();
      if (sep === 0x7d) return;
      if (sep !== 0x2c) this.fail(sep, "after object key:value pair");
    }
  }

  private array(): void {
    this.skipSpace();
    if (this.peek() === 0x5d) {
      this.i++;
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      const sep = this.next();
      if (sep === 0x5d) return;
      if (sep !== 0x2c) this.fail(sep, "after array element");
    }
  }

  private string(): void {
    for (;;) {
      const c = this.next();
      if (c === 0x22) return;
      if (c < 0x20) this.fail(c, "in string literal");
      if (c !== 0x5c) continue;
      const e = this.next();
      if (e === 0x75) {
        for (let k = 0; k < 4; k++) {
          const h = this.next();
          const hex = (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66);
          if (!hex) this.fail(h, "in \\u hexadecimal character escape");
        }
      } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) {
        this.fail(e, "in string escape code");
      }
    }
  }

  private digits(): void {
    for (let c = this.peek(); c !== undefined && c >= 0x30 && c <= 0x39; c = this.peek()) this.i++;
  }

  private number(first: number): void {
    let c = first;
    if (c === 0x2d) {
      c = this.next();
      if (c < 0x30 || c > 0x39) this.fail(c, "in numeric literal");
    }
    if (c !== 0x30) this.digits();
    if (this.peek() === 0x2e) {
      this.i++;
      const d = this.next();
      if (d < 0x30 || d > 0x39) this.fail(d, "after decimal point in numeric literal");
      this.digits();
    }
    const e = this.peek();
    if (e === 0x65 || e === 0x45) {
      this.i++;
      let d = this.next();
      if (d === 0x2b || d === 0x2d) d = this.next();
      if (d < 0x30 || d > 0x39) this.fail(d, "in exponent of numeric literal");
      this.digits();
    }
  }

  private literal(word: string): void {
    for (let k = 1; k < word.length; k++) {
      const c = this.next();
      const want = word.charCodeAt(k);
      if (c !== want) this.fail(c, `in literal ${word} (expecting ${quoteChar(want)})`);
    }
  }
}

/** Go's error text for `bytes`, or undefined when they are well-formed JSON. */
export function goJsonSyntaxError(bytes: Uint8Array): string | undefined {
  try {
    new Scanner(bytes).document();
    return undefined;
  } catch (err) {
    if (err instanceof SyntaxFailure) return err.message;
    throw err;
  }
}
