/**
 * valibot schemas that decode like Go's encoding/json into a typed struct. Each schema carries the
 * Go type of the field it stands for, so a wrong JSON type fails with Go's own sentence
 * (`json: cannot unmarshal array into Go struct field NetConf.ipam of type types.IPAM`), and the
 * first failure is the first one in document order, as Go reports it. Arrays are not objects here
 * (valibot alone would take `[]` for a struct); `null` is Go's "leave the zero value".
 */
import * as v from "valibot";
import { goJsonKind, JsonNumber, unwrap } from "./go-json.ts";

const MARK = "\u0000go\u0000";

/** The message a Go-typed schema leaves on its issue; turned into Go's text by `goIssueText`. */
function marker(goType: string, integer = false): string {
  return `${MARK}${integer ? "int" : "any"}\u0000${goType}`;
}

interface StructInfo {
  /** Go's struct type name ("" for an anonymous struct). */
  name: string;
  /** Decoded by a custom UnmarshalJSON: Go keeps the holder's struct and field in its errors. */
  opaque: boolean;
}
const structs = new WeakMap<object, StructInfo>();

type AnySchema = v.GenericSchema;

/** A schema that refuses arrays (and numbers kept with their text) before handing the value to `schema` (objects and maps). */
function noArrays<S extends AnySchema>(schema: S): S {
  const run = schema["~run"].bind(schema);
  const guarded = {
    ...schema,
    "~run"(dataset: v.UnknownDataset, config: v.Config<v.BaseIssue<unknown>>) {
      if (Array.isArray(dataset.value) || dataset.value instanceof JsonNumber) {
        v._addIssue(guarded, "type", dataset, config);
        return dataset as unknown as v.OutputDataset<v.InferOutput<S>, v.InferIssue<S>>;
      }
      return run(dataset, config);
    },
  };
  return guarded as S;
}

export const goBool = () => v.boolean(marker("bool"));
export const goString = (goType = "string") => v.string(marker(goType));

const INT64 = 2 ** 63;
const INT_TEXT = /^-?(?:0|[1-9][0-9]*)$/;

/** The int Go would decode from a JSON number, or undefined where Go refuses it. */
function goIntOf(n: number | JsonNumber): number | undefined {
  const value = n instanceof JsonNumber ? (INT_TEXT.test(n.source) ? n.value : undefined) : Number.isInteger(n) ? n : undefined;
  // `+ 0`: Go's ints have no negative zero.
  return value !== undefined && value >= -INT64 && value < INT64 ? value + 0 : undefined;
}

/** Go's int: whole numbers within int64, written as integers (1500.5, 1e20 and 1.0 are refused, as Go does). */
export const goInt = (goType = "int") =>
  v.pipe(
    v.custom<number | JsonNumber>((n) => typeof n === "number" || n instanceof JsonNumber, marker(goType, true)),
    v.check((n) => goIntOf(n) !== undefined, marker(goType, true)),
    v.transform((n) => goIntOf(n) ?? 0),
  );

/** A Go slice; `null` elements become `zero` (Go leaves the element's zero value). */
export function goSlice<S extends AnySchema, Z>(goType: string, item: S, zero: Z) {
  return v.array(v.pipe(v.nullable(item), v.transform((x) => (x === null ? zero : x))), marker(goType));
}

/** A Go slice of pointers or structs whose `null` elements the caller handles. */
export const goNullableSlice = <S extends AnySchema>(goType: string, item: S) => v.array(v.nullable(item), marker(goType));

/** The keys valibot's record skips (they would reach the prototype); Go decodes them as any other. */
const SKIPPED_BY_RECORD = ["__proto__", "constructor", "prototype"];

/**
 * A record that also decodes the keys valibot's record skips, as a Go map does: a wrongly typed
 * value under one of them is refused (v1.9.1: `"capabilities": {"__proto__": {}}` cannot
 * unmarshal object into ... of type bool), and a kept one stays an own member (defineProperty,
 * so `__proto__` sets no prototype).
 */
function withSkippedKeys<S extends AnySchema>(record: S): S {
  const run = record["~run"].bind(record);
  const valueSchema = (record as unknown as { value: AnySchema }).value;
  const full = {
    ...record,
    "~run"(dataset: v.UnknownDataset, config: v.Config<v.BaseIssue<unknown>>) {
      const input = dataset.value as Record<string, unknown>;
      const out = run(dataset, config) as unknown as { typed: boolean; value: object; issues?: v.BaseIssue<unknown>[] };
      for (const key of SKIPPED_BY_RECORD) {
        if (input === null || typeof input !== "object" || !Object.hasOwn(input, key)) continue;
        const item = valueSchema["~run"]({ value: input[key] }, config);
        if (item.issues !== undefined) {
          const pathItem: v.ObjectPathItem = { type: "object", origin: "value", input, key, value: input[key] };
          for (const issue of item.issues as v.BaseIssue<unknown>[]) {
            (issue as { path?: unknown[] }).path = issue.path === undefined ? [pathItem] : [pathItem, ...issue.path];
            (out.issues ??= []).push(issue);
          }
          out.typed = false;
        } else if (out.typed) {
          Object.defineProperty(out.value, key, { value: item.value, writable: true, enumerable: true, configurable: true });
        }
      }
      return out as unknown as v.OutputDataset<unknown, v.BaseIssue<unknown>>;
    },
  };
  return full as S;
}

/** A Go map with typed values (map[string]bool): every key's value is decoded, as Go does. */
export const goMap = <S extends AnySchema>(goType: string, value: S) => noArrays(withSkippedKeys(v.record(v.string(), value, marker(goType))));

/**
 * `map[string]interface {}` and the like: any JSON object. Its values cannot be refused, and
 * every such map is decoded into Go structs later (a prevResult, a chain's plugins), which
 * ignore the keys valibot's record skips: they stay skipped, so none reaches a later copy.
 */
export const goObjectMap = (goType = "map[string]interface {}") => noArrays(v.record(v.string(), v.unknown(), marker(goType)));

/**
 * A Go struct `name` held in a field of type `goType`. Unknown keys pass through (runtimes add
 * their own). `opaque`: the type decodes itself (types.Route), so Go names the holder in errors.
 */
export function goStruct<E extends v.ObjectEntries>(name: string, goType: string, entries: E, opaque = false) {
  const schema = noArrays(v.looseObject(entries, marker(goType)));
  structs.set(schema, { name, opaque });
  return schema;
}



/** Go's text for an issue of a Go-typed schema under `root`, or undefined for other issues. */
export function goIssueText(root: AnySchema, issue: v.BaseIssue<unknown>): string | undefined {
  if (!issue.message.startsWith(MARK)) return undefined;
  const [kind = "", goType = ""] = issue.message.slice(MARK.length).split("\u0000");
  let schema: unknown = root;
  let struct = "";
  const fields: string[] = [];
  for (const item of issue.path ?? []) {
    const s = unwrap(schema);
    if (s.type === "record") {
      schema = s.value; // Go names the map field, not the key
    } else if (item.type === "object") {
      const info = structs.get(s as object);
      if (info?.opaque !== true) {
        struct = info?.name ?? "";
        fields.push(String(item.key));
      }
      schema = s.entries?.[String(item.key)];
    } else {
      schema = item.type === "array" ? s.item : s.value;
    }
  }
  const where = fields.length === 0 ? "Go value" : `Go struct field ${struct}.${fields.join(".")}`;
  return `json: cannot unmarshal ${goJsonKind(issue.input, kind === "int")} into ${where} of type ${goType}`;
}

/** Position of an issue in the document: key order of each object, index of each array. */
function position(issue: v.BaseIssue<unknown>): number[] {
  return (issue.path ?? []).map((item) => {
    if (item.type === "array") return Number(item.key);
    const input = item.input;
    return input !== null && typeof input === "object" ? Object.keys(input).indexOf(String(item.key)) : 0;
  });
}

function before(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return a.length < b.length;
}

/** The issues in document order: the first is the one Go would have reported. */
export function inDocumentOrder<I extends v.BaseIssue<unknown>>(issues: readonly I[]): I[] {
  const keyed = issues.map((issue) => ({ issue, at: position(issue) }));
  keyed.sort((x, y) => (before(x.at, y.at) ? -1 : before(y.at, x.at) ? 1 : 0));
  return keyed.map((k) => k.issue);
}

/** A JSON path for humans: `ipam.ranges[0][0].subnet`. */
export function jsonPath(issue: v.BaseIssue<unknown>, prefix = ""): string {
  let out = prefix;
  for (const item of issue.path ?? []) {
    out += item.type === "array" ? `[${String(item.key)}]` : out === "" ? String(item.key) : `.${String(item.key)}`;
  }
  return out;
}
