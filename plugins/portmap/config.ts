/**
 * portmap's configuration: the schema (Go JSON rules via decodeConfig), then the reference's
 * validation order: decode, prevResult, mark chain vs mark bit, mark bit range,
 * backend, port numbers. tscni then also refuses what the reference only finds out half-way
 * through applying rules (ports above 65535, unknown protocols, malformed host IPs).
 */
import * as v from "valibot";
import {
  CniError,
  type ConfigProblem,
  decodeConfig,
  ErrorCode,
  goBool,
  goInt,
  goNullableSlice,
  goPrevResult,
  goSlice,
  goString,
  goStruct,
  internalError,
  NetConfEntries,
  parseResult,
  ProblemList,
  type Result,
  resultFamily,
} from "../../src/cni/index.ts";
import { checkPrevResultTypes } from "./prev-result.ts";
import type { PortMapping, Probe } from "../../src/firewall/choice.ts";

/** portmap's firewall and kernel half (firewall.ts), loaded by the calls that need it. */
export type PortmapFirewall = typeof import("./firewall.ts");
export const portmapFirewall = (): Promise<PortmapFirewall> => import("./firewall.ts");

/** One `runtimeConfig.portMappings` entry; Go zero values for missing fields. */
export const PortMappingEntry = goStruct("PortMapEntry", "main.PortMapEntry", {
  hostPort: v.optional(goInt(), 0),
  containerPort: v.optional(goInt(), 0),
  protocol: v.optional(goString(), ""),
  hostIP: v.optional(goString(), ""),
});
export type PortMappingEntry = v.InferOutput<typeof PortMappingEntry>;

export const PortmapConfig = goStruct("PortMapConf", "main.PortMapConf", {
  ...NetConfEntries,
  backend: v.optional(goString()),
  snat: v.optional(goBool()),
  masqAll: v.optional(goBool(), false),
  markMasqBit: v.optional(goInt()),
  externalSetMarkChain: v.optional(goString()),
  conditionsV4: v.optional(goSlice("[]string", goString(), "")),
  conditionsV6: v.optional(goSlice("[]string", goString(), "")),
  runtimeConfig: v.optional(
    goStruct("", 'struct { PortMaps []main.PortMapEntry "json:\\"portMappings,omitempty\\"" }', {
      // A null entry decodes to Go's zero struct, which then fails the port check.
      portMappings: v.optional(goNullableSlice("[]main.PortMapEntry", PortMappingEntry), []),
    }),
  ),
});
export type PortmapConfig = v.InferOutput<typeof PortmapConfig>;

export const DEFAULT_MARK_MASQ_BIT = 13;

/** Everything the verbs need, validated and defaulted. */
export interface PortmapSettings {
  readonly network: string;
  readonly cniVersion: string;
  readonly prevResult: Result | undefined;
  readonly mappings: readonly PortMapping[];
  /**
   * The firewall backend's name, loaded (findBackend) by the calls that touch the firewall;
   * undefined when the call touches none and the config leaves nothing to check about it.
   */
  readonly backend: string | undefined;
  readonly snat: boolean;
  readonly masqAll: boolean;
  readonly markMasqBit: number;
  readonly externalSetMarkChain: string | undefined;
  readonly conditionsV4: readonly string[] | undefined;
  readonly conditionsV6: readonly string[] | undefined;
}

/** Step 1: the JSON shape. */
export function decodePortmapConfig(raw: unknown): PortmapConfig {
  return decodeConfig(PortmapConfig, raw, "failed to parse network configuration: ");
}

/** The mappings as written (zero entries for nulls), before any validation. */
export function rawMappings(conf: PortmapConfig): PortMappingEntry[] {
  // A loop, not map: JSC compiles that builtin on its first use, even over no mappings.
  const out: PortMappingEntry[] = [];
  for (const m of conf.runtimeConfig?.portMappings ?? []) out.push(m ?? { hostPort: 0, containerPort: 0, protocol: "", hostIP: "" });
  return out;
}

function parsePrevResult(conf: PortmapConfig, cniVersion: string): Result | undefined {
  if (conf.prevResult === undefined) return undefined;
  // The reference wraps the library's own "could not parse prevResult" once more.
  const context = "could not parse prevResult: could not parse prevResult: ";
  try {
    const raw = goPrevResult(conf.prevResult, cniVersion);
    if (resultFamily(cniVersion) === "100") checkPrevResultTypes(raw, context);
    return parseResult(raw, cniVersion, context, true);
  } catch (err) {
    throw internalError(CniError.from(err).message, err);
  }
}

function checkMark(conf: PortmapConfig): void {
  if (conf.markMasqBit !== undefined && conf.externalSetMarkChain !== undefined) {
    throw internalError("Cannot specify externalSetMarkChain and markMasqBit");
  }
  if (conf.markMasqBit !== undefined && (conf.markMasqBit < 0 || conf.markMasqBit > 31)) {
    throw internalError("MasqMarkBit must be between 0 and 31");
  }
}

const PROTOCOLS: ReadonlySet<string> = new Set(["tcp", "udp", "sctp", "dccp"]);

/**
 * The reference's port checks (container port first, only `<= 0`), then tscni's: the upper bound,
 * the protocol and the host IP, so a bad entry is refused before any rule is written.
 */
function checkMappings(entries: readonly PortMappingEntry[], fw: PortmapFirewall | undefined): PortMapping[] {
  for (const m of entries) {
    if (m.containerPort <= 0) throw internalError(`Invalid container port number: ${m.containerPort}`);
    if (m.hostPort <= 0) throw internalError(`Invalid host port number: ${m.hostPort}`);
  }
  const out: PortMapping[] = [];
  for (const m of entries) {
    if (m.containerPort > 65535) throw internalError(`Invalid container port number: ${m.containerPort}`);
    if (m.hostPort > 65535) throw internalError(`Invalid host port number: ${m.hostPort}`);
    const protocol = m.protocol.toLowerCase();
    if (!PROTOCOLS.has(protocol)) throw internalError(`unknown protocol ${JSON.stringify(m.protocol)} specified`);
    if (m.hostIP !== "") fw?.parseIp("host IP", m.hostIP);
    const mapping: PortMapping = { hostPort: m.hostPort, containerPort: m.containerPort, protocol };
    out.push(m.hostIP === "" ? mapping : { ...mapping, hostIP: m.hostIP });
  }
  return out;
}

/**
 * tscni: conditions are matches only, in the backend's dialect, for their family's packets; a
 * verdict, statement or target is refused by name (code 7). Checked by the verbs that write or
 * compare rules (ADD and CHECK with mappings) and by `tscni validate`; DEL and GC never use them,
 * so a config carrying bad ones can still be torn down.
 */
export async function checkPortmapConditions(s: Pick<PortmapSettings, "backend" | "conditionsV4" | "conditionsV6">): Promise<void> {
  const fw = await portmapFirewall();
  for (const check of conditionChecks(fw, s.backend, s)) check.run();
}

interface ConditionLists {
  readonly conditionsV4?: readonly string[] | undefined;
  readonly conditionsV6?: readonly string[] | undefined;
}

/** One check per list; `tscni validate` names a bad token even next to a backend conflict. */
function conditionChecks(fw: PortmapFirewall, backend: string | undefined, lists: ConditionLists): { what: string; run: () => void }[] {
  const out: { what: string; run: () => void }[] = [];
  for (const [what, family] of [["conditionsV4", 4], ["conditionsV6", 6]] as const) {
    const tokens = lists[what];
    if (tokens !== undefined) out.push({ what, run: () => void fw.checkConditions(backend, what, tokens, family) });
  }
  return out;
}

/**
 * Whether the backend choice could fail or differ for this config without a probe: a backend is
 * named, or an option only some backends support is set (the options detect.ts's portmapBackendName
 * asks the backends about; test/unit/firewall/detect.test.ts fails if a backend claims another).
 */
function backendInQuestion(conf: PortmapConfig): boolean {
  const listed = (l: readonly string[] | undefined): boolean => l !== undefined && l.length > 0 && l[0] !== "";
  return conf.backend !== undefined || conf.externalSetMarkChain !== undefined || listed(conf.conditionsV4) || listed(conf.conditionsV6);
}

/**
 * Every step in the reference's order: decode, prevResult, mark, backend, ports, then (with
 * `conditions`: validate, and ADD/CHECK once they have rules to write) the conditions. Thrown at
 * the first problem when `p` is strict (the verbs), each recorded with its JSON path when
 * collecting (validate). `probe` decides the backend only when the config leaves it open
 * (undefined: ask none, the registry's first); `idle`: a call that touches no firewall without
 * mappings (ADD, CHECK), which then loads no firewall code at all when the config leaves nothing
 * about the backend to check, and asks the probe only when its options make the choice matter:
 * the reference picks its backend, and refuses a conflict with it, before it looks at the mappings.
 */
export async function checkPortmap(
  config: Record<string, unknown>,
  cniVersion: string,
  probe: Probe | undefined,
  p: ProblemList,
  conditions: boolean,
  idle = false,
): Promise<PortmapSettings | undefined> {
  const conf = p.decode(PortmapConfig, config, "failed to parse network configuration: ");
  if (conf === undefined) return undefined;
  const prevResult = p.check("prevResult", () => parsePrevResult(conf, cniVersion));
  p.check(conf.markMasqBit === undefined ? "externalSetMarkChain" : "markMasqBit", () => checkMark(conf));
  const entries = rawMappings(conf);
  const quiet = idle && entries.length === 0;
  const inQuestion = backendInQuestion(conf);
  // Nothing about the backend can fail here and nothing will use it: no firewall code to load.
  const fw = quiet && !conditions && !inQuestion ? undefined : await portmapFirewall();
  let backend: string | undefined;
  try {
    if (fw !== undefined) backend = await fw.portmapBackendName(conf, (quiet && !inQuestion) || probe === undefined ? fw.noProbe : probe);
  } catch (err) {
    p.check("backend", () => {
      throw CniError.from(err);
    });
  }
  const mappings = p.check("runtimeConfig.portMappings", () => checkMappings(entries, fw));
  if (fw !== undefined && conditions) for (const c of conditionChecks(fw, backend, conf)) p.check(c.what, c.run);
  if (!p.ok || mappings === undefined) return undefined;
  return {
    network: conf.name,
    cniVersion,
    prevResult,
    mappings,
    backend,
    snat: conf.snat ?? true,
    masqAll: conf.masqAll,
    markMasqBit: conf.markMasqBit ?? DEFAULT_MARK_MASQ_BIT,
    externalSetMarkChain: conf.externalSetMarkChain,
    conditionsV4: conf.conditionsV4,
    conditionsV6: conf.conditionsV6,
  };
}

/** Every problem ADD would report for `config`, each with its JSON path (for `tscni validate`). */
export async function portmapProblems(config: Record<string, unknown>, cniVersion: string): Promise<ConfigProblem[]> {
  const p = ProblemList.collect();
  await checkPortmap(config, cniVersion, undefined, p, true);
  return p.problems;
}

/** Re-throws a config error with the verb's prefix (ADD and DEL: `failed to parse config: `). */
export async function withPrefix<T>(prefix: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = CniError.from(err);
    if (prefix === "" || e.code !== ErrorCode.Internal) throw e;
    throw new CniError(e.code, `${prefix}${e.message}`, e.details, { cause: err });
  }
}
