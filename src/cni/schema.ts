/**
 * valibot fragments shared by the plugins, and the one decode function that applies Go's JSON
 * rules before validating. Schema and inferred type share one name.
 */
import * as v from "valibot";
import { parseCIDR, parseIP } from "../ip/index.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { foldKeys } from "./go-json.ts";

/** Whole-number JSON field (Go rejects 1500.5 for an int). */
export const Int = v.pipe(v.number(), v.integer("must be an integer"));

/** An IP address in text form, validated the way Go's net.ParseIP accepts it. */
export const IpAddr = v.pipe(
  v.string(),
  v.check((s) => parseIP(s) !== undefined, (i) => `invalid IP address: ${String(i.input)}`),
);
export type IpAddr = v.InferOutput<typeof IpAddr>;

/** A CIDR in text form ("10.0.0.1/24"), as Go's net.ParseCIDR accepts it. */
export const Cidr = v.pipe(
  v.string(),
  v.check(isCidr, (i) => `invalid CIDR address: ${String(i.input)}`),
);
export type Cidr = v.InferOutput<typeof Cidr>;

export function isCidr(s: string): boolean {
  return parseCIDR(s) !== undefined;
}

export const RouteSchema = v.object({
  dst: Cidr,
  gw: v.optional(IpAddr),
  mtu: v.optional(Int),
  advmss: v.optional(Int),
  priority: v.optional(Int),
  table: v.optional(Int),
  scope: v.optional(Int),
});
export type RouteSchema = v.InferOutput<typeof RouteSchema>;

export const DnsSchema = v.object({
  nameservers: v.optional(v.array(v.string())),
  domain: v.optional(v.string()),
  search: v.optional(v.array(v.string())),
  options: v.optional(v.array(v.string())),
});
export type DnsSchema = v.InferOutput<typeof DnsSchema>;

/** The keys every network configuration may carry; plugins extend it with `v.looseObject`. */
export const NetConfEntries = {
  cniVersion: v.optional(v.string(), ""),
  name: v.optional(v.string(), ""),
  type: v.optional(v.string(), ""),
  ipam: v.optional(v.looseObject({ type: v.optional(v.string(), "") })),
  dns: v.optional(DnsSchema),
  args: v.optional(v.looseObject({})),
  runtimeConfig: v.optional(v.looseObject({})),
  prevResult: v.optional(v.looseObject({})),
};
export const NetConf = v.looseObject(NetConfEntries);
export type NetConf = v.InferOutput<typeof NetConf>;

function issuePath(issue: v.BaseIssue<unknown>): string {
  return (issue.path ?? []).map((p) => String(p.key)).join(".");
}

/** "mtu: Invalid type: Expected number but received "9000"": the JSON path, then the reason. */
export function formatIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.map((i) => {
    const path = issuePath(i);
    return path === "" ? i.message : `${path}: ${i.message}`;
  });
}

/**
 * Decodes `raw` (parsed JSON) with Go's matching rules, then validates it. Failures are plugin
 * level errors (code 999, as the reference reports its own config errors), prefixed by `context`.
 */
export function decodeConfig<S extends v.GenericSchema>(
  schema: S,
  raw: unknown,
  context = "",
  code: number = ErrorCode.Internal,
): v.InferOutput<S> {
  const res = v.safeParse(schema, foldKeys(schema, raw));
  if (res.success) return res.output;
  const [first = "invalid configuration", ...rest] = formatIssues(res.issues);
  throw new CniError(code, `${context}${first}`, rest.join("; "));
}
