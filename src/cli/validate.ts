/**
 * `tscni validate`: every config file parsed the way libcni parses it, every tscni plugin entry
 * checked against that plugin's schema (exact JSON path and reason), and which file a runtime
 * would pick for each network name.
 */
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import * as v from "valibot";
import { foldKeys, formatIssues, isSupported } from "../cni/index.ts";
import {
  confListFromConf,
  type NetworkList,
  parseConfList,
  parsePluginConf,
  Runtime,
  scanConfDir,
  type ScannedFile,
} from "../runtime/index.ts";
import { confDir as resolveConfDir, type Env } from "./options.ts";

/** Problems with one plugin config ("path: reason"); empty when it is valid. */
export type PluginValidator = (config: Record<string, unknown>) => readonly string[];

/** A validator from a plugin's valibot schema, matching keys the way Go (and the plugin) does. */
export function schemaValidator(schema: v.GenericSchema): PluginValidator {
  return (config) => {
    const r = v.safeParse(schema, foldKeys(schema, config));
    return r.success ? [] : formatIssues(r.issues);
  };
}

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

export interface PluginReport {
  index: number;
  type: string;
  status: "ok" | "error" | "unchecked";
  problems: string[];
}

export interface FileReport {
  file: string;
  network?: string;
  cniVersion?: string;
  /** "used": a runtime asking for this network name gets this file. */
  role: "used" | "shadowed" | "broken";
  shadowedBy?: string;
  errors: string[];
  plugins: PluginReport[];
}

export interface ValidateReport {
  files: FileReport[];
  /** What containerd/CRI-O take as their default network: the first loadable file. */
  defaultNetwork?: { name: string; file: string };
  ok: boolean;
}

function checkList(list: NetworkList, validators: Readonly<Record<string, PluginValidator>>): { errors: string[]; plugins: PluginReport[] } {
  const errors: string[] = [];
  if (list.name === "" || !NAME_PATTERN.test(list.name)) errors.push(`name: invalid network name ${JSON.stringify(list.name)}`);
  if (list.cniVersion !== "" && !isSupported(list.cniVersion)) {
    errors.push(`cniVersion: ${JSON.stringify(list.cniVersion)} is not a CNI version plugins support`);
  }
  const plugins = list.plugins.map((p, index): PluginReport => {
    const validator = validators[p.type];
    if (validator === undefined) return { index, type: p.type, status: "unchecked", problems: [] };
    const config = JSON.parse(Runtime.pluginStdin(list, p, undefined, undefined)) as Record<string, unknown>;
    const problems = [...validator(config)];
    return { index, type: p.type, status: problems.length === 0 ? "ok" : "error", problems };
  });
  return { errors, plugins };
}

function loadGiven(file: string): ScannedFile {
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

export function validateFiles(scanned: readonly ScannedFile[], validators: Readonly<Record<string, PluginValidator>>): ValidateReport {
  const firstByName = new Map<string, string>();
  const files: FileReport[] = [];
  let defaultNetwork: ValidateReport["defaultNetwork"];
  for (const s of scanned) {
    if (s.list === undefined) {
      files.push({ file: s.file, role: "broken", errors: [s.error ?? "unreadable"], plugins: [] });
      continue;
    }
    const { errors, plugins } = checkList(s.list, validators);
    const first = firstByName.get(s.list.name);
    if (first === undefined) firstByName.set(s.list.name, s.file);
    defaultNetwork ??= { name: s.list.name, file: s.file };
    files.push({
      file: s.file,
      network: s.list.name,
      cniVersion: s.list.cniVersion,
      role: first === undefined ? "used" : "shadowed",
      shadowedBy: first,
      errors,
      plugins,
    });
  }
  const ok = files.every((f) => f.errors.length === 0 && f.plugins.every((p) => p.status !== "error"));
  return { files, defaultNetwork, ok };
}

export function renderReport(r: ValidateReport): string {
  const lines: string[] = [];
  for (const f of r.files) {
    if (f.role === "broken") {
      lines.push(`✗ ${f.file}: cannot be loaded: ${f.errors.join("; ")}`);
      lines.push(`    a libcni runtime looking up a network stops at this file (networks in later files become unreachable)`);
      continue;
    }
    const head = `${f.file}: network ${JSON.stringify(f.network)}, cniVersion ${JSON.stringify(f.cniVersion)}`;
    const bad = f.errors.length > 0 || f.plugins.some((p) => p.status === "error");
    lines.push(`${bad ? "✗" : "✓"} ${head}${f.role === "shadowed" ? ` — ignored: ${basename(f.shadowedBy ?? "")} defines it first` : ""}`);
    for (const e of f.errors) lines.push(`    error ${e}`);
    for (const p of f.plugins) {
      if (p.status === "unchecked") lines.push(`    plugins[${p.index}] ${p.type}: no schema for this type, not checked`);
      else if (p.status === "ok") lines.push(`    plugins[${p.index}] ${p.type}: ok`);
      else for (const m of p.problems) lines.push(`    error plugins[${p.index}] ${p.type}: ${m}`);
    }
  }
  if (r.files.length === 0) lines.push("no configuration files found");
  if (r.defaultNetwork) {
    lines.push(`default network for runtimes that take the first file (containerd, CRI-O): ${JSON.stringify(r.defaultNetwork.name)} from ${r.defaultNetwork.file}`);
  }
  lines.push(r.ok ? "valid" : "invalid");
  return `${lines.join("\n")}\n`;
}

export interface ValidateOptions {
  confDir?: string;
  files: readonly string[];
  json: boolean;
  env: Env;
  validators: Readonly<Record<string, PluginValidator>>;
  out: (text: string) => void;
}

export async function validateCommand(o: ValidateOptions): Promise<number> {
  const scanned = o.files.length > 0 ? o.files.map(loadGiven) : scanConfDir(resolveConfDir(o.confDir, o.env));
  const report = validateFiles(scanned, o.validators);
  o.out(o.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return report.ok && report.files.length > 0 ? 0 : 1;
}
