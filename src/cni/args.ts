/**
 * CNI_ARGS ("K=V;K=V") with the reference's rules, as runtimes rely on them: keys are case-sensitive Go
 * field names, values are parsed in order, unknown keys fail unless IgnoreUnknown is true.
 */
import { goMarshal } from "./go-json.ts";
import { internalError } from "./errors.ts";

/** Parses one value; throws an Error whose message the reference would print after the pair. */
export type ArgParser<T> = (value: string) => T;

export const argBool: ArgParser<boolean> = (value) => {
  const v = value.toLowerCase();
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  throw new Error(`boolean unmarshal error: invalid input ${value}`);
};

export const argString: ArgParser<string> = (value) => value;

type Parsed<S extends Record<string, ArgParser<unknown>>> = { [K in keyof S]?: ReturnType<S[K]> };

/**
 * `spec` lists the keys the plugin knows (besides IgnoreUnknown, which every plugin accepts).
 * Errors are plugin-level (code 999) with the reference's `ARGS: …` wording.
 */
export function parseCniArgs<S extends Record<string, ArgParser<unknown>>>(raw: string, spec: S): Parsed<S> {
  const out: Record<string, unknown> = {};
  if (raw === "") return out as Parsed<S>;
  const unknown: string[] = [];
  let ignoreUnknown = false;
  for (const pair of raw.split(";")) {
    const kv = pair.split("=");
    if (kv.length !== 2) throw internalError(`ARGS: invalid pair ${goMarshal(pair)}`);
    const [key = "", value = ""] = kv;
    const parse = key === "IgnoreUnknown" ? argBool : Object.hasOwn(spec, key) ? spec[key] : undefined;
    if (parse === undefined) {
      unknown.push(pair);
      continue;
    }
    try {
      const parsed = parse(value);
      if (key === "IgnoreUnknown") ignoreUnknown = parsed === true;
      else out[key] = parsed;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw internalError(`ARGS: error parsing value of pair ${goMarshal(pair)}: ${why}`);
    }
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    throw internalError(`ARGS: unknown args [${unknown.map((u) => goMarshal(u)).join(" ")}]`);
  }
  return out as Parsed<S>;
}
