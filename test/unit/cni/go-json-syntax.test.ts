import { describe, expect, test } from "bun:test";
import { goJsonSyntaxError } from "../../../src/cni/go-json-syntax.ts";

const err = (s: string) => goJsonSyntaxError(new TextEncoder().encode(s));

describe("Go encoding/json syntax error texts", () => {
  test.each([
    ["", "unexpected end of JSON input"],
    ["   ", "unexpected end of JSON input"],
    ['{"a":', "unexpected end of JSON input"],
    ["{x", "invalid character 'x' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ["[1 2]", "invalid character '2' after array element"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    ['{"name":"a"} t', "invalid character 't' after top-level value"],
    ["nul", "unexpected end of JSON input"],
    ["nulx", "invalid character 'x' in literal null (expecting 'l')"],
    ["tru3", "invalid character '3' in literal true (expecting 'e')"],
    ["-x", "invalid character 'x' in numeric literal"],
    ["1.x", "invalid character 'x' after decimal point in numeric literal"],
    ["1ex", "invalid character 'x' in exponent of numeric literal"],
    ['"a\\q"', "invalid character 'q' in string escape code"],
    ['"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ["\u0001", "invalid character '\\x01' looking for beginning of value"],
    ["01", "invalid character '1' after top-level value"],
  ])("%p → %s", (input, message) => {
    expect(err(input)).toBe(message);
  });

  test.each(['{"a":[1,-2.5e+3,true,false,null,"x\\u00e9\\n"]}', " [] ", "0", '"é"'])("%p is valid", (input) => {
    expect(err(input)).toBeUndefined();
  });
});

describe("nesting depth, as Go's scanner caps it", () => {
  const nested = (depth: number, open: string, close: string) => `${open.repeat(depth)}${close.repeat(depth)}`;
  test("10,000 levels are accepted", () => {
    expect(err(nested(10000, "[", "]"))).toBeUndefined();
    expect(err(`${'{"a":'.repeat(9999)}{}${"}".repeat(9999)}`)).toBeUndefined();
  });
  test("the 10,001st bracket is refused with Go's text", () => {
    expect(err(nested(10001, "[", "]"))).toBe("invalid character '[' exceeded max depth");
    expect(err(`${'{"a":'.repeat(10000)}{}${"}".repeat(10000)}`)).toBe("invalid character '{' exceeded max depth");
  });
  test("far deeper input is refused without exhausting the stack", () => {
    expect(err("[".repeat(1_000_000))).toBe("invalid character '[' exceeded max depth");
  });
  test("a syntax error before the limit is named first", () => {
    expect(err(`${"[".repeat(50)}x${"[".repeat(20000)}`)).toBe("invalid character 'x' looking for beginning of value");
  });
});
