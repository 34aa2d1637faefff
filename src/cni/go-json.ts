/**
 * Go encoding/json compatibility on both sides of the pipe:
 *  - output: indentation and the HTML-safe escaping Go applies to strings;
 *  - input: keys matched case-insensitively to a schema's fields, `null` meaning "absent".
 */
import type { GenericSchema } from "valibot";
import { goFoldKey, isJsSpace } from "./chars.ts";

const GO_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** JSON.stringify, then the escapes Go's encoder adds (`<nil>` prints as `\u003cnil\u003e`). */
export function goMarshal(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent);
  // Results rarely hold one of these: the regex (and with it the process's first regex, chars.ts)
  // runs only when one is there.
  if (!text.includes("<") && !text.includes(">") && !text.includes("&") && !text.includes("\u2028") && !text.includes("\u2029")) return text;
  return text.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/** `json.MarshalIndent(v, "", "    ")`: what results and errors look like on stdout. */
export function goMarshalIndent(value: unknown): string {
  return goMarshal(value, 4);
}

/**
 * A JSON number whose text does not survive the trip through a JS number ("1.0", "1e3", "-0", a
 * 20-digit literal). Go decodes an int from the text, so `1.0` is refused for an int field and its
 * error quotes the text; the value is kept beside it. Prints as the plain number.
 */
export class JsonNumber {
  constructor(
    readonly value: number,
    readonly source: string,
  ) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

/**
 * What Go's decoder calls a JSON value in "cannot unmarshal X into …": `integer` when the target is
 * an int, where Go quotes the number as written.
 */
export function goJsonKind(value: unknown, integer = false): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "boolean") return "bool";
  if (value instanceof JsonNumber) return integer ? `number ${value.source}` : "number";
  if (typeof value === "number") return integer ? `number ${String(value)}` : "number";
  return typeof value;
}

function keepNumberText(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== "number") return value;
  const source = context?.source;
  return source === undefined || source === String(value) ? value : new JsonNumber(value, source);
}

/**
 * Whether the text may hold a number token that JS could print differently: a fraction, an
 * exponent, -0 or 16+ digits. `/[:,[]\s*(?:-0|-?[1-9][0-9]{15,}|-?[0-9]+[.eE])/.test(text)` by hand
 * (chars.ts says why; unit-tested against that regex): after `:`, `,` or `[` and any white space,
 * an optional `-` and a run of digits that is `0` after a `-`, 16+ digits not starting with `0`,
 * or followed by `.`, `e` or `E`.
 */
export function mayHoldLossyNumber(text: string): boolean {
  // Jumps from separator to separator with indexOf (native) and reads a character or two after
  // each: a call per character would cost more than the regex in JSC's interpreter.
  let colon = text.indexOf(":");
  let comma = text.indexOf(",");
  let bracket = text.indexOf("[");
  for (;;) {
    let i = colon;
    if (i < 0 || (comma >= 0 && comma < i)) i = comma;
    if (i < 0 || (bracket >= 0 && bracket < i)) i = bracket;
    if (i < 0) return false;
    if (i === colon) colon = text.indexOf(":", i + 1);
    else if (i === comma) comma = text.indexOf(",", i + 1);
    else bracket = text.indexOf("[", i + 1);
    let j = i + 1;
    let c = text.charCodeAt(j);
    // Most separators are followed by a string: one comparison.
    if (c === 0x22) continue;
    while (c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0xa0 && isJsSpace(c))) c = text.charCodeAt(++j);
    const minus = c === 0x2d;
    if (minus) c = text.charCodeAt(++j);
    if (!(c >= 0x30 && c <= 0x39)) continue;
    if (minus && c === 0x30) return true;
    const start = j;
    do c = text.charCodeAt(++j);
    while (c >= 0x30 && c <= 0x39);
    if (c === 0x2e || c === 0x65 || c === 0x45) return true;
    if (j - start >= 16 && text.charCodeAt(start) !== 0x30) return true;
  }
}

/**
 * JSON.parse for configs decoded Go's way: numbers keep their text where JS would lose it. The
 * reviver walk recurses, so it runs only when such a number may be there, and a document nested
 * too deeply for it (Go allows 10,000 levels) is read without it.
 */
export function goJsonParse(text: string): unknown {
  if (!mayHoldLossyNumber(text)) return JSON.parse(text);
  try {
    return JSON.parse(text, keepNumberText as (this: unknown, key: string, value: unknown) => unknown);
  } catch (err) {
    if (err instanceof RangeError) return JSON.parse(text);
    throw err;
  }
}

/** The parts of a valibot schema object that Go-style decoding walks. */
export interface SchemaShape {
  type?: string;
  wrapped?: unknown;
  entries?: Record<string, unknown>;
  item?: unknown;
  value?: unknown;
  options?: unknown[];
}

/** A field declared nullable keeps its `null`: its Go type decodes null itself (types.IPNet). */
function keepsNull(schema: unknown): boolean {
  for (let s = schema as SchemaShape | undefined; s !== undefined; s = s.wrapped as SchemaShape | undefined) {
    if (s.type === "nullable") return true;
  }
  return false;
}

/** The schema inside optional/nullable wrappers. */
export function unwrap(schema: unknown): SchemaShape {
  let s = schema as SchemaShape;
  while (s.wrapped !== undefined) s = s.wrapped as SchemaShape;
  return s;
}

/**
 * `out[key] = value` as an own member even for `__proto__`, which Go decodes as any other unknown
 * key: an assignment would make `value` the prototype, and its members would read as fields.
 */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  else out[key] = value;
}

/**
 * The declared field a key that is not one exactly matches the way Go matches it (any case; of
 * two fields equal but for case, the last declared), else the key itself.
 */
function fieldByCase(entries: Record<string, unknown>, key: string): string {
  const folded = goFoldKey(key);
  let found = key;
  for (const name of Object.keys(entries)) if (goFoldKey(name) === folded) found = name;
  return found;
}

/**
 * Renames the keys of `value` to the field names `schema` declares, the way Go matches JSON keys
 * to struct fields (case-insensitive; the last duplicate wins), and drops `null` members, which
 * Go treats as "leave the field alone" (unless the field's schema is nullable). Unknown keys are
 * kept as they are.
 */
export function foldKeys(schema: GenericSchema | unknown, value: unknown): unknown {
  if (value instanceof JsonNumber) return value;
  const s = unwrap(schema);
  // Loops, not map/Object.fromEntries: JSC compiles each such builtin from source on its first
  // use in a process, and every plugin exec decodes its config here (docs/performance.md).
  if (Array.isArray(value)) {
    if (s.item === undefined) return value;
    const items: unknown[] = [];
    for (const v of value) items.push(foldKeys(s.item, v));
    return items;
  }
  if (value === null || typeof value !== "object") return value;
  const input = value as Record<string, unknown>;
  if (s.entries === undefined) {
    // A map of values of any type (a prevResult): nothing below it to fold.
    if (s.value === undefined || isOpaque(s.value)) return value;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(input)) put(out, k, foldKeys(s.value, input[k]));
    return out;
  }
  const entries: Record<string, unknown> = s.entries;
  const out: Record<string, unknown> = {};
  // Case-insensitive matching only for a key that is not a field's exact name: configs spell
  // nearly every key exactly, and a lower-cased map of every field per struct value cost each
  // decode more than the rest of the fold (docs/performance.md).
  const keys = Object.keys(input);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const v = input[key];
    const name = Object.hasOwn(entries, key) ? key : fieldByCase(entries, key);
    const declared = Object.hasOwn(entries, name);
    if (v === null && !(declared && keepsNull(entries[name]))) {
      delete out[name];
      continue;
    }
    put(out, name, declared ? foldKeys(entries[name], v) : v);
  }
  return out;
}

/** A schema with nothing inside to fold (unknown, a string): foldKeys returns any value as is. */
function isOpaque(schema: unknown): boolean {
  const s = unwrap(schema);
  return s.entries === undefined && s.value === undefined && s.item === undefined && s.options === undefined;
}

/** Looks a member up the way Go would match it to a field: exact name first, else any case. */
export function goField(obj: Record<string, unknown>, name: string): unknown {
  let found: unknown;
  const folded = goFoldKey(name);
  for (const [k, v] of Object.entries(obj)) if (goFoldKey(k) === folded) found = v;
  return found;
}
