/**
 * `tscni validate`: what ADD would say, before ADD. Every config file of one or more conf dirs (one
 * per runtime) or the files given, parsed the way libcni parses it, checked by the plugins' own
 * loaders and against the bin dirs, then across files: which file each runtime loads, names defined
 * twice, ranges and bridges two networks would fight over.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, extname } from "node:path";
import type { ConfigProblem } from "../cni/index.ts";
import { confListFromConf, parseConfList, parsePluginConf, scanConfDir, type ScannedFile } from "../runtime/index.ts";
import { jsonDocument } from "./json.ts";
import { jsonSyntaxPosition } from "./json-syntax.ts";
import { binDirs, confDir as resolveConfDir, type Env } from "./options.ts";
import { PluginFinder } from "./validate-bins.ts";
import { type ConfDirScan, type CrossFinding, crossFileFindings, defaultFile } from "./validate-cross.ts";
import type { PluginLookup } from "../container/index.ts";
import { checkList, type PluginReport } from "./validate-file.ts";

export type { PluginReport } from "./validate-file.ts";
export { type ConfDirScan, type CrossFinding, crossFileFindings } from "./validate-cross.ts";

export interface FileReport {
  file: string;
  network?: string;
  cniVersion?: string;
  /** "used": a runtime asking for this network name gets this file. */
  role: "used" | "shadowed" | "broken";
  shadowedBy?: string;
  /** The list's own problems (and why a broken file cannot be loaded), as printed. */
  errors: string[];
  plugins: PluginReport[];
  /** Every problem of the file with its JSON path from the file's root. */
  problems: ConfigProblem[];
  /** Loads and runs, but does not do what it seems to ask (validate stays "valid"). */
  warnings: string[];
}

export interface ValidateReport {
  /** Problems with the conf dirs themselves (missing, empty). */
  errors: string[];
  files: FileReport[];
  crossFile: CrossFinding[];
  /** Per conf dir: the file containerd and CRI-O take (the first by name). */
  defaultNetworks: { dir: string; file: string; name?: string }[];
  ok: boolean;
}

function loadGiven(file: string): ScannedFile {
  const st = statSync(file, { throwIfNoEntry: false });
  if (st === undefined) return { file, kind: "conf", error: "no such file" };
  if (st.isDirectory()) return { file, kind: "conf", error: `is a directory (tscni validate --conf-dir ${file} checks a conf dir)` };
  try {
    const bytes = readFileSync(file);
    const ext = extname(file);
    const asList = ext === ".conflist" || (ext !== ".conf" && ext !== ".json" && /"plugins"\s*:/.test(bytes.toString()));
    return asList
      ? { file, kind: "conflist", list: { ...parseConfList(bytes), file } }
      : { file, kind: "conf", list: confListFromConf(parsePluginConf(bytes), file) };
  } catch (err) {
    return { file, kind: "conf", error: (err as Error).message };
  }
}

/** A JSON syntax error gets the line and column an editor jumps to (JSON.parse names neither). */
function withSyntaxPosition(file: string, error: string): string {
  if (!error.includes("JSON Parse error")) return error;
  let at: string | undefined;
  try {
    at = jsonSyntaxPosition(readFileSync(file, "utf8"));
  } catch {
    return error;
  }
  return at === undefined ? error : `${error} at ${at}`;
}

async function checkFiles(scan: ConfDirScan, plugins: PluginLookup, finder?: PluginFinder): Promise<FileReport[]> {
  const firstByName = new Map<string, string>();
  const files: FileReport[] = [];
  for (const s of scan.files) {
    if (s.list === undefined) {
      const error = withSyntaxPosition(s.file, s.error ?? "unreadable");
      files.push({ file: s.file, role: "broken", errors: [error], plugins: [], problems: [{ path: "", message: error }], warnings: [] });
      continue;
    }
    const checked = await checkList(s.list, plugins, finder, s.kind === "conf");
    const first = firstByName.get(s.list.name);
    if (first === undefined) firstByName.set(s.list.name, s.file);
    files.push({
      file: s.file,
      network: s.list.name,
      cniVersion: s.list.cniVersion,
      role: first === undefined ? "used" : "shadowed",
      shadowedBy: first,
      errors: checked.problems.map((p) => `${p.path}: ${p.message}`),
      plugins: checked.plugins,
      problems: checked.all,
      warnings: checked.warnings,
    });
  }
  return files;
}

/**
 * Checks already scanned conf dirs. Without a `finder` the plugin binaries are not looked up
 * (callers that only want the loaders' verdict).
 */
export async function validateScans(
  scans: readonly ConfDirScan[],
  plugins: PluginLookup,
  finder?: PluginFinder,
  errors: string[] = [],
): Promise<ValidateReport> {
  const files = (await Promise.all(scans.map((s) => checkFiles(s, plugins, finder)))).flat();
  const crossFile = await crossFileFindings(scans, plugins);
  const defaultNetworks = scans.flatMap((s) => {
    const f = defaultFile(s);
    return f === undefined || s.dir === "" ? [] : [{ dir: s.dir, file: f.file, name: f.list?.name }];
  });
  const ok = errors.length === 0 && files.every((f) => f.problems.length === 0) && crossFile.every((c) => c.level !== "error");
  return { errors, files, crossFile, defaultNetworks, ok };
}

/** Backwards-compatible single-dir form (doctor). */
function scanDir(dir: string, errors: string[]): ConfDirScan {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) {
    errors.push(`conf dir ${dir}: ${existsSync(dir) ? "not a directory" : "does not exist"}`);
    return { dir, files: [] };
  }
  const files = scanConfDir(dir);
  if (files.length === 0) errors.push(`no network configuration in ${dir} (no .conflist, .conf or .json file)`);
  return { dir, files };
}

export function renderReport(r: ValidateReport): string {
  const lines: string[] = r.errors.map((e) => `✗ ${e}`);
  for (const f of r.files) {
    if (f.role === "broken") {
      lines.push(`✗ ${f.file}: cannot be loaded: ${f.errors.join("; ")}`);
      lines.push(`    a libcni runtime looking up a network stops at this file (networks in later files become unreachable)`);
      continue;
    }
    const head = `${f.file}: network ${JSON.stringify(f.network)}, cniVersion ${JSON.stringify(f.cniVersion)}`;
    // A shadowed file is named once, by the cross-file duplicate-name finding below.
    lines.push(`${f.problems.length > 0 ? "✗" : "✓"} ${head}`);
    for (const e of f.errors) lines.push(`    error ${e}`);
    for (const p of f.plugins) {
      if (p.status === "error") for (const m of p.problems) lines.push(`    error ${m}`);
      else lines.push(`    plugins[${p.index}] ${p.type}: ${p.status === "ok" ? "ok" : "not a tscni plugin: binary and CNI versions checked"}`);
    }
    for (const w of f.warnings) lines.push(`    warning ${w}`);
  }
  for (const c of r.crossFile) lines.push(`${c.level === "error" ? "✗ error" : "! warning"} ${c.message}`);
  for (const d of r.defaultNetworks) {
    lines.push(`containerd, CRI-O with ${d.dir}: default network ${JSON.stringify(d.name ?? "?")} from ${basename(d.file)} (the first file by name)`);
  }
  lines.push(r.ok ? "valid" : "invalid");
  return `${lines.join("\n")}\n`;
}

export interface ValidateOptions {
  /** One conf dir per runtime; empty: $NETCONFPATH or /etc/cni/net.d. */
  confDirs: readonly string[];
  /** Colon-separated plugin dirs (default $CNI_PATH or /opt/cni/bin). */
  binDir?: string;
  files: readonly string[];
  json: boolean;
  env: Env;
  registry: PluginLookup;
  out: (text: string) => void;
}

export async function validateCommand(o: ValidateOptions): Promise<number> {
  const errors: string[] = [];
  const scans =
    o.files.length > 0
      ? [{ dir: "", files: o.files.map(loadGiven) }]
      : (o.confDirs.length > 0 ? o.confDirs : [resolveConfDir(undefined, o.env)]).map((d) => scanDir(d, errors));
  const finder = new PluginFinder(binDirs(o.binDir, o.env));
  const report = await validateScans(scans, o.registry, finder, errors);
  o.out(o.json ? jsonDocument({ ...report }) : renderReport(report));
  return report.ok ? 0 : 1;
}
