/**
 * parseConfigJson (decodeNetworkConfig's parse) lets JSON.parse judge a config first and runs Go's
 * syntax scanner only to word a refusal (or past its guards). This proves the two orders give the
 * same outcome, the same document or the same error, on well-formed, malformed and edge-case input.
 */
import { expect, test } from "bun:test";
import { CniError, ErrorCode } from "../../../src/cni/errors.ts";
import { parseConfigJson } from "../../../src/cni/dispatch.ts";
import { goJsonParse } from "../../../src/cni/go-json.ts";
import { goJsonSyntaxError } from "../../../src/cni/go-json-syntax.ts";

/** The order before the fast path: Go's scanner on every document, then the parse. */
function scannerFirst(bytes: Uint8Array): unknown {
  const syntax = goJsonSyntaxError(bytes);
  if (syntax !== undefined) throw new CniError(ErrorCode.DecodingFailure, `error unmarshall network config: ${syntax}`);
  return goJsonParse(new TextDecoder().decode(bytes));
}

function outcome(f: (b: Uint8Array) => unknown, bytes: Uint8Array): unknown {
  try {
    return { parsed: f(bytes) };
  } catch (err) {
    return { error: err instanceof CniError ? err.toJSON() : `${(err as Error).name}: ${(err as Error).message}` };
  }
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const nested = (depth: number): string => `{"name":"n","x":${"[".repeat(depth)}${"]".repeat(depth)}}`;
const withName = (rest: string): string => `{"name":"n"${rest}}`;

const INPUTS: Uint8Array[] = [
  ...[
    withName(""),
    withName(',"cniVersion":"1.0.0","type":"loopback"'),
    withName(',"mtu":1500.0,"big":12345678901234567890,"neg":-0,"e":1e3'),
    withName(',"s":"a\\u00e9\\ud800\\n\\/"'),
    withName(',"s":"\u007f é \u2028"'),
    withName(',"dup":1,"dup":2,"DUP":3'),
    withName(',"__proto__":{"x":1}'),
    withName(',"inf":1e400'),
    withName(",}"),
    withName(',"a":01'),
    withName(',"a":"x\ty"'),
    withName(',"a":"\\q"'),
    withName(" trailing"),
    `${withName("")} {}`,
    "",
    "   ",
    "null",
    "[]",
    '"name"',
    "{",
    "\u00a0{}",
    nested(2000),
    nested(10001),
  ].map(enc),
  new Uint8Array([0xef, 0xbb, 0xbf, ...enc(withName(""))]),
  new Uint8Array([...enc('{"name":"n","s":"'), 0xff, 0xfe, ...enc('"}')]),
  new Uint8Array([...enc('{"name":"n",'), 0xff, ...enc('"s":1}')]),
  new Uint8Array([...enc('{"name":"n","s":"a'), 0x00, ...enc('"}')]),
];

test.each(INPUTS.map((b, i) => [i, b] as const))("input #%d: the same document or error in both orders", (_i, bytes) => {
  expect(outcome(parseConfigJson, bytes)).toEqual(outcome(scannerFirst, bytes));
});

test("the corpus holds both outcomes, and a refusal only the scanner words", () => {
  const results = INPUTS.map((b) => outcome(parseConfigJson, b) as { parsed?: unknown; error?: unknown });
  expect(results.filter((r) => "parsed" in r).length).toBeGreaterThan(5);
  expect(results.filter((r) => "error" in r).length).toBeGreaterThan(5);
  expect(outcome(parseConfigJson, INPUTS[INPUTS.length - 4] as Uint8Array)).toEqual({
    error: { code: 6, msg: "error unmarshall network config: invalid character 'ï' looking for beginning of value" },
  });
});
