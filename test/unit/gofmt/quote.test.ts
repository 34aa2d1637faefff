import { describe, expect, test } from "bun:test";
import { goQuote, goQuotedList } from "../../../src/gofmt/index.ts";

describe("Go %q", () => {
  test("escapes like strconv.Quote", () => {
    expect(goQuote("a\tb\n\x01\x7f")).toBe('"a\\tb\\n\\x01\\x7f"');
    expect(goQuote("é")).toBe('"é"');
    expect(goQuote("\u200b")).toBe('"\\u200b"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote("\u{e0001}")).toBe('"\\U000e0001"');
  });

  test("every ASCII character, alone and amid plain text (the fast path and the escaping path), as strconv.Quote", () => {
    const named: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 0x22: '\\"', 0x5c: "\\\\" };
    for (let c = 0; c < 0x80; c++) {
      const ch = String.fromCharCode(c);
      const go = named[c] ?? (c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, "0")}` : ch);
      expect(goQuote(ch)).toBe(`"${go}"`);
      expect(goQuote(`cni0-${ch}.lock`)).toBe(`"cni0-${go}.lock"`);
      expect(goQuote(`cni0-${ch}.lock é`)).toBe(`"cni0-${go}.lock é"`);
    }
    expect(goQuote("")).toBe('""');
  });

  test("a string slice prints as Go prints []string with %q", () => {
    expect(goQuotedList(["0.1.0", "x\x01"])).toBe('["0.1.0" "x\\x01"]');
    expect(goQuotedList([])).toBe("[]");
  });
});
