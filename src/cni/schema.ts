/**
 * valibot fragments shared by the plugins (addresses, CIDRs, routes, DNS) and the problem list
 * behind `tscni validate`; libcni's NetConf (netconf.ts) and the Go-rules decode (decode.ts) are
 * re-exported from their own files, which a plugin needing only them imports directly. Schema and
 * inferred type share one name.
 */
import * as v from "valibot";
import { isCIDR, isIP } from "../ip/index.ts";
import { CniError } from "./errors.ts";
import { type ConfigProblem, decodeConfig, tryDecode } from "./decode.ts";

export { type ConfigProblem, configProblems, decodeConfig, tryDecode } from "./decode.ts";
export { GoDns, NetConf, NetConfEntries } from "./netconf.ts";

/** Whole-number JSON field (Go rejects 1500.5 for an int). */
export const Int = v.pipe(v.number(), v.integer("must be an integer"));

/** An IP address in text form, validated the way Go's net.ParseIP accepts it. */
export const IpAddr = v.pipe(
  v.string(),
  v.check(isIP, (i) => `invalid IP address: ${String(i.input)}`),
);
export type IpAddr = v.InferOutput<typeof IpAddr>;

/** A CIDR in text form ("10.0.0.1/24"), as Go's net.ParseCIDR accepts it. */
export const Cidr = v.pipe(
  v.string(),
  v.check(isCidr, (i) => `invalid CIDR address: ${String(i.input)}`),
);
export type Cidr = v.InferOutput<typeof Cidr>;

export function isCidr(s: string): boolean {
  return isCIDR(s);
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
