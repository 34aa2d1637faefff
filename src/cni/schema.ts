/**
 * valibot fragments shared by the plugins, and the one decode function that applies Go's JSON
 * rules before validating. Schema and inferred type share one name.
 */
import * as v from "valibot";
import { parseCIDR, parseIP } from "../ip/index.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { foldKeys } from "./go-json.ts";
import {
  goBool,
  goIssueText,
  goMap,
  goNullableSlice,
  goObjectMap,
  goSlice,
  goString,
  goStruct,
  inDocumentOrder,
  jsonPath,
} from "./go-json-types.ts";

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

/** The DNS section, as types.DNS decodes it. */
export const GoDns = goStruct("DNS", "types.DNS", {
  nameservers: v.optional(goSlice("[]string", goString(), "")),
  domain: v.optional(goString()),
  search: v.optional(goSlice("[]string", goString(), "")),
  options: v.optional(goSlice("[]string", goString(), "")),
});

const GcAttachment = goStruct("GCAttachment", "types.GCAttachment", {
  containerID: v.optional(goString()),
  ifname: v.optional(goString()),
});

/**
 * The keys of libcni's types.NetConf that every plugin embeds; plugins extend them with
 * `goStruct`. Go names the embedding struct in errors, so the entries carry no struct of their own.
 * `args` and `runtimeConfig` are not among them: Go ignores them unless a plugin declares them.
 */
export const NetConfEntries = {
  cniVersion: v.optional(goString(), ""),
  name: v.optional(goString(), ""),
  type: v.optional(goString(), ""),
  // A null value in a Go map[string]bool is the entry's zero value, false (v1.9.1 accepts it).
  capabilities: v.optional(goMap("map[string]bool", v.pipe(v.nullable(goBool()), v.transform((b) => b ?? false)))),
  ipam: v.optional(goStruct("IPAM", "types.IPAM", { type: v.optional(goString(), "") })),
  dns: v.optional(GoDns),
  prevResult: v.optional(goObjectMap()),
  "cni.dev/valid-attachments": v.optional(goNullableSlice("[]types.GCAttachment", GcAttachment)),
};
export const NetConf = goStruct("PluginConf", "types.PluginConf", NetConfEntries);
export type NetConf = v.InferOutput<typeof NetConf>;

/** One problem of a config: where it is and what the plugin would say about it. */
export interface ConfigProblem {
  /** JSON path from the config's root, e.g. `ipam.ranges[0][0].subnet` ("" for the root). */
  path: string;
  message: string;
}

/**
 * Every issue of a parse under `schema`, in document order, each with Go's text where Go has one
 * (a wrong JSON type) and else "path: reason".
 */
export function configProblems(schema: v.GenericSchema, issues: readonly v.BaseIssue<unknown>[]): ConfigProblem[] {
  return inDocumentOrder(issues).map((i) => {
    const path = jsonPath(i);
    const go = goIssueText(schema, i);
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
): { ok: true; value: v.InferOutput<S> } | { ok: false; problems: ConfigProblem[] } {
  const res = v.safeParse(schema, foldKeys(schema, raw));
  return res.success ? { ok: true, value: res.output } : { ok: false, problems: configProblems(schema, res.issues) };
}

/**
 * Decodes `raw` (parsed JSON) with Go's matching rules, then validates it. Failures are plugin
 * level errors (code 999, as the reference reports its own config errors), prefixed by `context`;
 * the message is the first problem in document order, as Go reports the first.
 */
export function decodeConfig<S extends v.GenericSchema>(
  schema: S,
  raw: unknown,
  context = "",
  code: number = ErrorCode.Internal,
): v.InferOutput<S> {
  const r = tryDecode(schema, raw);
  if (r.ok) return r.value;
  // Go's decoder reports the first type error only, with no details (v1.9.1 prints none either).
  const [first] = r.problems;
  throw new CniError(code, `${context}${first?.message ?? "invalid configuration"}`);
}

/**
 * Runs a config's checks. The verbs stop at the first failure (it is thrown, as the reference's
 * loader returns its first error); `tscni validate` collects every failure with its JSON path.
 * One list of checks serves both, so validate cannot drift from what ADD says.
 */
export class ProblemList {
  readonly problems: ConfigProblem[] = [];
  private constructor(
    private readonly collecting: boolean,
    private readonly parent?: { list: ProblemList; prefix: string },
  ) {}

  static strict(): ProblemList {
    return new ProblemList(false);
  }

  static collect(): ProblemList {
    return new ProblemList(true);
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  /** A list in the same mode for a config nested at `prefix`: its problems land here too, under that path. */
  nested(prefix: string): ProblemList {
    return new ProblemList(this.collecting, { list: this, prefix });
  }

  private record(problem: ConfigProblem): void {
    this.problems.push(problem);
    const up = this.parent;
    if (up !== undefined) up.list.record({ path: problem.path === "" ? up.prefix : `${up.prefix}.${problem.path}`, message: problem.message });
  }

  /** Runs `check`; a CniError it throws becomes a problem at `path` (or is rethrown when strict). */
  check<T>(path: string, check: () => T): T | undefined {
    try {
      return check();
    } catch (err) {
      if (!this.collecting || !(err instanceof CniError)) throw err;
      this.record({ path, message: err.message });
      return undefined;
    }
  }

  /** decodeConfig, recording every decoding problem (each prefixed by `context`) when collecting. */
  decode<S extends v.GenericSchema>(schema: S, raw: unknown, context = ""): v.InferOutput<S> | undefined {
    if (!this.collecting) return decodeConfig(schema, raw, context);
    const r = tryDecode(schema, raw);
    if (r.ok) return r.value;
    for (const x of r.problems) this.record({ path: x.path, message: `${context}${x.message}` });
    return undefined;
  }
}
