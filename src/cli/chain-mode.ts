/**
 * `tscni install --chain-mode[=off]`: rewrites the conf dir's conflists into chain mode (one
 * tscni-chain exec per pod instead of one exec per plugin) or back, keeping each original beside
 * it under a name libcni never loads. A dry run unless --apply; every file is checked (it loads,
 * it gains something, the rewrite loads again as libcni would) before the first one is written.
 * `tscni doctor` asks the same question (chainModeChecks) and names the networks that could use it.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { spawnCollect } from "../spawn.ts";
import { confFiles, loadConfListFile, parseConfList } from "../runtime/index.ts";
import { CHAIN_TYPE, fromChainMode, isChainMode, toChainMode } from "./chain-mode-convert.ts";
import { type Check, ok } from "./doctor-check.ts";

type Json = Record<string, unknown>;

export interface ChainModeOptions {
  confDir: string;
  /** The CNI bin dir the runtime uses: tscni-chain must answer there before a list names it. */
  binDir: string;
  /** Only this network ("" = every conflist that qualifies). */
  network: string;
  on: boolean;
  apply: boolean;
  /** The plugin names this binary answers to (tscni-chain among them). */
  plugins: readonly string[];
  /** The suffix of the backups' names (a timestamp). */
  suffix: string;
  out: (text: string) => void;
}

interface Plan {
  file: string;
  name: string;
  /** Why not, or the document to write. */
  skip?: string;
  doc?: Json;
  execs?: [number, number];
}

/** Execs per pod: one per plugin, or one for the chain plus one per member tscni does not serve. */
function execCounts(plugins: Json[], ours: ReadonlySet<string>): [number, number] {
  const foreign = plugins.filter((p) => !ours.has(String(p.type))).length;
  return [plugins.length, 1 + foreign];
}

function planFile(file: string, on: boolean, ours: ReadonlySet<string>): Plan {
  let raw: Json;
  let loaded;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as Json;
    loaded = loadConfListFile(file);
  } catch (err) {
    return { file, name: "?", skip: `does not load: ${(err as Error).message}` };
  }
  const name = loaded.name;
  const inline = Array.isArray(raw.plugins) ? raw.plugins.length : 0;
  if (loaded.plugins.length !== inline) return { file, name, skip: `has plugins in ${join(dirname(file), name)}/ that libcni appends after the list` };
  if (!on) {
    if (!isChainMode(raw)) return { file, name, skip: "is not in chain mode" };
    return { file, name, doc: fromChainMode(raw) };
  }
  if (isChainMode(raw)) return { file, name, skip: "is already in chain mode" };
  const execs = execCounts(raw.plugins as Json[], ours);
  if (execs[1] >= execs[0]) return { file, name, skip: `gains nothing (${execs[0]} exec(s) per pod either way)` };
  return { file, name, doc: toChainMode(raw), execs };
}

/** Every conflist of the dir, planned; none written. */
export function planChainMode(confDir: string, on: boolean, plugins: readonly string[], network = ""): Plan[] {
  const ours = new Set(plugins.filter((p) => p !== CHAIN_TYPE));
  return confFiles(confDir, [".conflist"])
    .map((f) => planFile(f, on, ours))
    .filter((p) => network === "" || p.name === network);
}

/** doctor: the networks that could run in chain mode, and those that do. */
export function chainModeChecks(confDir: string, plugins: readonly string[]): Check[] {
  const checks: Check[] = [];
  for (const p of planChainMode(confDir, true, plugins)) {
    if (p.skip === "is already in chain mode") checks.push(ok("chain-mode", `${p.file}: network ${JSON.stringify(p.name)} runs in chain mode`));
    if (p.doc === undefined || p.execs === undefined) continue;
    checks.push({
      id: "chain-mode",
      severity: "ok",
      detail: `${p.file}: network ${JSON.stringify(p.name)} could run in chain mode: ${p.execs[1]} exec(s) per pod and verb instead of ${p.execs[0]}`,
      fix: `tscni install --chain-mode --conf-dir ${confDir} --network-name ${p.name} --apply`,
    });
  }
  return checks;
}

/** A list naming tscni-chain where no tscni-chain answers would fail every pod: refuse first. */
async function refuseWithoutChainPlugin(binDir: string): Promise<void> {
  const path = join(binDir, CHAIN_TYPE);
  let answer = "";
  try {
    // Bounded like every probe of a binary: one that hangs is an answer, not a reason to hang.
    const r = await spawnCollect([path], { env: { CNI_COMMAND: "VERSION" }, timeoutMs: 10_000 });
    answer = r.code === 0 ? r.stdout : "";
  } catch {
    answer = "";
  }
  if (!answer.includes("supportedVersions")) {
    throw new Error(`${path} does not answer VERSION: install tscni there first (tscni install --dir ${binDir}), then switch to chain mode`);
  }
}

export async function chainModeCommand(o: ChainModeOptions): Promise<void> {
  const log = (l: string): void => o.out(`${l}\n`);
  const plans = planChainMode(o.confDir, o.on, o.plugins, o.network);
  if (o.network !== "" && plans.length === 0) throw new Error(`no conflist in ${o.confDir} defines network ${JSON.stringify(o.network)}`);
  const todo = plans.filter((p) => p.doc !== undefined);
  if (o.on && todo.length > 0) await refuseWithoutChainPlugin(o.binDir);
  for (const p of plans) if (p.skip !== undefined) log(`${p.file}: network ${JSON.stringify(p.name)} ${p.skip}: left as it is`);
  // The rewrite must load as libcni loads a list before anything is written.
  const texts = todo.map((p) => {
    const text = `${JSON.stringify(p.doc, null, 2)}\n`;
    parseConfList(new TextEncoder().encode(text));
    return text;
  });
  const would = o.apply ? "" : "would ";
  todo.forEach((p, i) => {
    const backup = `${p.file}.before-chain-mode${o.on ? "" : "-off"}-${o.suffix}`;
    const how = o.on ? `into chain mode (${p.execs?.[1]} exec(s) per pod instead of ${p.execs?.[0]})` : "back to a plain conflist";
    log(`${would}rewrite ${p.file} (network ${JSON.stringify(p.name)}) ${how}, keeping the original as ${basename(backup)}`);
    if (!o.apply) {
      o.out(texts[i] ?? "");
      return;
    }
    const mode = statSync(p.file).mode & 0o777;
    writeFileSync(backup, readFileSync(p.file), { mode });
    // Written aside under a name libcni ignores, then renamed over: a runtime reads old or new, never half.
    const tmp = `${p.file}.chain-mode-tmp`;
    writeFileSync(tmp, texts[i] ?? "", { mode });
    renameSync(tmp, p.file);
  });
  if (todo.length === 0) log(`nothing to rewrite in ${o.confDir}`);
  else if (!o.apply) log("dry run: nothing changed (add --apply to rewrite)");
}
