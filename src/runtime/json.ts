/**
 * Go encoding/json output as libcni produces it: a map re-marshalled by Go comes out compact,
 * with keys sorted at every level and Go's HTML-safe escapes. Values that Go marshals through a
 * type's own MarshalJSON (a prevResult) keep their order: wrap them in `Verbatim`.
 */
import { goMarshal } from "../cni/index.ts";
import * as plain from "../plain-array.ts";

export type Json = Record<string, unknown>;

/** A value whose key order must survive re-marshalling (Go calls the type's own marshaller). */
export class Verbatim {
  constructor(readonly value: unknown) {}
}

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Verbatim);
}

/** Keys sorted recursively, as Go marshals a map[string]interface{}. */
export function sortDeep(v: unknown): unknown {
  if (v instanceof Verbatim) return v.value;
  if (Array.isArray(v)) return plain.map(v, (x) => sortDeep(x));
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const k of Object.keys(v).sort()) out[k] = sortDeep(v[k]);
  return out;
}

/** `json.Marshal` of a generic map: compact, sorted, Go escapes. */
export function goCompact(v: unknown): string {
  return goMarshal(sortDeep(v));
}

/** Go's `%T` name for a value decoded into interface{}. */
export function goTypeName(v: unknown): string {
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return "[]interface {}";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "float64";
    case "boolean":
      return "bool";
    default:
      return "map[string]interface {}";
  }
}
