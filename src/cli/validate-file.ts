/**
 * One network configuration checked the way a runtime and its plugins would take it: the list's
 * own keys, each plugin's binary in the bin dirs (and the CNI versions it speaks), each tscni
 * plugin's own loader, and the chaining position. Every problem, not the first, with its JSON path.
 */
import { goField, goJsonParse, isSupported, isValidName } from "../cni/index.ts";
import type { ConfigProblem } from "../cni/index.ts";
import { type NetworkList, Runtime } from "../runtime/index.ts";
import type { PluginFinder } from "./validate-bins.ts";
import { chainWarnings, PORTMAP_FIRST } from "./validate-chain.ts";
import { interfaceNameProblems } from "./validate-names.ts";

/**
 * A tscni plugin's loader: every problem its verbs would report for `config` (one plugin's stdin,
 * as the runtime builds it), each with its path inside that config.
 */
export type PluginValidator = (config: Record<string, unknown>, cniVersion: string) => Promise<readonly ConfigProblem[]>;

export interface PluginReport {
  index: number;
  type: string;
  /** "unchecked": not a tscni plugin; only its binary and versions were checked. */
  status: "ok" | "error" | "unchecked";
  /** "path: message", as printed. */
  problems: string[];
}

/** Plugins that need a previous result: first in a list, ADD fails before doing anything. */
const CHAINED_ONLY: Readonly<Record<string, string>> = { portmap: PORTMAP_FIRST };

const at = (prefix: string, path: string): string => (prefix === "" ? path : path === "" ? prefix : `${prefix}.${path}`);

export interface ListCheck {
  /** Problems of the list itself (name, cniVersion). */
  problems: ConfigProblem[];
  plugins: PluginReport[];
  /** Every problem of the file, list-level first, with paths from the file's root. */
  all: ConfigProblem[];
  /** What loads and runs but does not do what the list seems to ask (portmap's place). */
  warnings: string[];
}

/** `single`: the file is a one-plugin .conf, so plugin paths start at the file's root. */
export async function checkList(
  list: NetworkList,
  validators: Readonly<Record<string, PluginValidator>>,
  finder: PluginFinder | undefined,
  single: boolean,
): Promise<ListCheck> {
  const problems: ConfigProblem[] = [];
  if (list.name === "" || !isValidName(list.name)) problems.push({ path: "name", message: `invalid network name ${JSON.stringify(list.name)}` });
  if (list.cniVersion !== "" && !isSupported(list.cniVersion)) {
    problems.push({ path: "cniVersion", message: `${JSON.stringify(list.cniVersion)} is not a CNI version plugins support` });
  }
  const all = [...problems];
  const plugins: PluginReport[] = [];
  for (const [index, p] of list.plugins.entries()) {
    const prefix = single ? "" : `plugins[${index}]`;
    const found: ConfigProblem[] = [];
    const config = goJsonParse(Runtime.pluginStdin(list, p, undefined, undefined)) as Record<string, unknown>;
    const missing = finder?.problem(p.type, list.cniVersion);
    if (missing !== undefined) found.push({ path: "type", message: missing });
    const ipam = goField(config, "ipam");
    const ipamType = ipam !== null && typeof ipam === "object" && !Array.isArray(ipam) ? goField(ipam as Record<string, unknown>, "type") : undefined;
    if (typeof ipamType === "string" && ipamType !== "") {
      const ipamMissing = finder?.problem(ipamType, list.cniVersion);
      if (ipamMissing !== undefined) found.push({ path: "ipam.type", message: ipamMissing });
    }
    const chained = CHAINED_ONLY[p.type];
    if (chained !== undefined && index === 0) found.push({ path: "", message: chained });
    found.push(...interfaceNameProblems(p.type, config));
    const validator = validators[p.type];
    if (validator !== undefined) found.push(...(await validator(config, list.cniVersion)));
    const located = found.map((f) => ({ path: at(prefix, f.path), message: f.message }));
    all.push(...located);
    plugins.push({
      index,
      type: p.type,
      status: located.length > 0 ? "error" : validator === undefined ? "unchecked" : "ok",
      problems: located.map((f) => (f.path === "" ? f.message : `${f.path}: ${f.message}`)),
    });
  }
  return { problems, plugins, all, warnings: chainWarnings(list) };
}
