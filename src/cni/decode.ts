/**
 * The one decode function that applies Go's JSON rules before validating, and the problem list
 * `tscni validate` reports. Imports no schema: a plugin's exec builds only its own.
 */
import * as v from "valibot";
import { CniError, ErrorCode } from "./errors.ts";
import { foldKeys } from "./go-json.ts";
import { goIssueText, inDocumentOrder, jsonPath } from "./go-json-types.ts";

/** One problem of a config: where it is and what the plugin would say about it. */
export interface ConfigProblem {
  /** JSON path from the config's root, e.g. `ipam.ranges[0][0].subnet` ("" for the root). */
  path: string;
  message: string;
}

/** schema.ts's address checks word their failure as Go's net.IP / types.IPNet decoders do. */
const GO_ADDRESS_TEXT = /^invalid (IP|CIDR) address: /;

/**
 * Every issue of a parse under `schema`, in document order, each with Go's text where Go has one
 * (a wrong JSON type; with `goAddresses`, a bad address too, which Go words without a path) and
 * else "path: reason".
 */
export function configProblems(schema: v.GenericSchema, issues: readonly v.BaseIssue<unknown>[], goAddresses = false): ConfigProblem[] {
  return inDocumentOrder(issues).map((i) => {
    const path = jsonPath(i);
    const go = goIssueText(schema, i) ?? (goAddresses && GO_ADDRESS_TEXT.test(i.message) ? i.message : undefined);
    return { path, message: go ?? (path === "" ? i.message : `${dotted(i)}: ${i.message}`) };
  });
}

/** "routes.0.dst": the path as the verbs have always worded it. */
function dotted(issue: v.BaseIssue<unknown>): string {
  return (issue.path ?? []).map((p) => String(p.key)).join(".");
}

/** Go's decode of `raw` into `schema`: the output, or every problem in document order. */
export function tryDecode<S extends v.GenericSchema>(
  schema: S,
  raw: unknown,
  goAddresses = false,
): { ok: true; value: v.InferOutput<S> } | { ok: false; problems: ConfigProblem[] } {
  const res = v.safeParse(schema, foldKeys(schema, raw));
  return res.success ? { ok: true, value: res.output } : { ok: false, problems: configProblems(schema, res.issues, goAddresses) };
}

/**
 * Decodes `raw` (parsed JSON) with Go's matching rules, then validates it. Failures are plugin
 * level errors (code 999, as the reference reports its own config errors), prefixed by `context`;
 * the message is the first problem in document order, as Go reports the first. `goAddresses`:
 * a bad address is reported in Go's words alone (results, whose addresses Go itself decodes).
 */
export function decodeConfig<S extends v.GenericSchema>(
  schema: S,
  raw: unknown,
  context = "",
  code: number = ErrorCode.Internal,
  goAddresses = false,
): v.InferOutput<S> {
  const r = tryDecode(schema, raw, goAddresses);
  if (r.ok) return r.value;
  // Go's decoder reports the first type error only, with no details (v1.9.1 prints none either).
  const [first] = r.problems;
  throw new CniError(code, `${context}${first?.message ?? "invalid configuration"}`);
}
