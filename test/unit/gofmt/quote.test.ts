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

  test("a string slice prints as Go prints []string with %q", () => {
    expect(goQuotedList(["0.1.0", "x\x01"])).toBe('["0.1.0" "x\\x01"]');
    expect(goQuotedList([])).toBe("[]");
  });
});
