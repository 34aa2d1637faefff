/**
 * One network configuration checked the way a runtime and its plugins would take it: the list's
 * own keys, each plugin's binary in the bin dirs (and the CNI versions it speaks), each tscni
 * plugin's own loader, and the chaining position. Every problem, not the first, with its JSON path.
 */
import { goJsonParse, isSupported, isValidName, ProblemList } from "../cni/index.ts";
import type { ConfigProblem } from "../cni/index.ts";
import { describeConfig, ipamType, type PluginLookup } from "../container/index.ts";
import { type NetworkList, Runtime } from "../runtime/index.ts";
import type { PluginFinder } from "./validate-bins.ts";
import { chainWarnings } from "./validate-chain.ts";
import { interfaceNameProblems } from "./validate-names.ts";

export interface PluginReport {
  index: number;
  type: string;
  /** "unchecked": not a tscni plugin; only its binary and versions were checked. */
  status: "ok" | "error" | "unchecked";
  /** "path: message", as printed. */
  problems: string[];
}

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
  registry: PluginLookup,
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
    const missing = await finder?.problem(p.type, list.cniVersion);
    if (missing !== undefined) found.push({ path: "type", message: missing });
    const ipam = ipamType(config);
    if (ipam !== "") {
      const ipamMissing = await finder?.problem(ipam, list.cniVersion);
      if (ipamMissing !== undefined) found.push({ path: "ipam.type", message: ipamMissing });
    }
    const entry = await registry(p.type);
    if (entry?.chainedOnly !== undefined && index === 0) found.push({ path: "", message: `must be called as chained plugin: ${entry.chainedOnly}` });
    found.push(...interfaceNameProblems(await describeConfig(registry, p.type, config)));
    const checked = ProblemList.collect();
    await entry?.checkConfig(config, checked, list.cniVersion);
    found.push(...checked.problems);
    const located = found.map((f) => ({ path: at(prefix, f.path), message: f.message }));
    all.push(...located);
    plugins.push({
      index,
      type: p.type,
      status: located.length > 0 ? "error" : entry === undefined ? "unchecked" : "ok",
      problems: located.map((f) => (f.path === "" ? f.message : `${f.path}: ${f.message}`)),
    });
  }
  return { problems, plugins, all, warnings: await chainWarnings(list, registry) };
}
