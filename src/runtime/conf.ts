/**
 * Network configuration loading with libcni's rules (SPEC.md "Network configuration lists"):
 * `.conflist` files first, in file-name order, the first whose name matches wins; then the legacy
 * single-plugin `.conf`/`.json` files, up-converted to a one-plugin list. Any file that fails to
 * parse before the match is an error, as in libcni.
 */
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { compareVersions, CURRENT_VERSION, goField } from "../cni/index.ts";
import { goQuote } from "../gofmt/index.ts";
import { goCompact, goTypeName, isObject, type Json } from "./json.ts";

/** One plugin of a list: its decoded form plus the bytes libcni would hand on (sorted, compact). */
export interface PluginConf {
  type: string;
  name: string;
  /** Only the capabilities set to true. */
  capabilities: string[];
  raw: Json;
  bytes: string;
}

export interface NetworkList {
  name: string;
  cniVersion: string;
  disableCheck: boolean;
  disableGC: boolean;
  loadOnlyInlinedPlugins: boolean;
  plugins: PluginConf[];
  /** The bytes the result cache stores as `config` (the file as read, or the up-converted list). */
  bytes: Uint8Array;
  /** Where it came from, for messages. */
  file?: string;
}

export class ConfError extends Error {
  override readonly name = "ConfError";
}

export class NotFoundError extends ConfError {}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function decodeObject(bytes: Uint8Array, what: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text(bytes));
  } catch (err) {
    throw new ConfError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(v)) throw new ConfError(`${what}: json: cannot unmarshal ${goTypeName(v)} into a JSON object`);
  return v;
}

/** A plugin entry (`types.PluginConf`): needs a string `type`; capabilities must be booleans. */
export function parsePluginConf(bytes: Uint8Array): PluginConf {
  const raw = decodeObject(bytes, "error parsing configuration");
  const str = (key: string): string => {
    const v = goField(raw, key);
    if (v === undefined || v === null) return "";
    if (typeof v !== "string") {
      throw new ConfError(`error parsing configuration: json: cannot unmarshal ${goTypeName(v)} into Go struct field ${key} of type string`);
    }
    return v;
  };
  const type = str("type");
  const name = str("name");
  str("cniVersion");
  const caps = goField(raw, "capabilities");
  const capabilities: string[] = [];
  if (caps !== undefined && caps !== null) {
    if (!isObject(caps)) {
      throw new ConfError(`error parsing configuration: json: cannot unmarshal ${goTypeName(caps)} into Go struct field capabilities of type map[string]bool`);
    }
    for (const [k, v] of Object.entries(caps)) {
      if (typeof v !== "boolean") {
        throw new ConfError(`error parsing configuration: json: cannot unmarshal ${goTypeName(v)} into Go struct field capabilities of type bool`);
      }
      if (v) capabilities.push(k);
    }
  }
  if (type === "") throw new ConfError("error parsing configuration: missing 'type'");
  return { type, name, capabilities, raw, bytes: goCompact(raw) };
}

function readBool(list: Json, key: string): boolean {
  const v = list[key];
  if (v === undefined) return false;
  if (typeof v === "boolean") return v;
  if (typeof v !== "string") throw new ConfError(`error parsing configuration list: invalid type ${goTypeName(v)} for ${key}`);
  const s = v.toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  throw new ConfError(`error parsing configuration list: invalid value ${goQuote(s)} for ${key}`);
}

const newerThanUs = (v: string): boolean => compareVersions(v === "" ? "0.1.0" : v, CURRENT_VERSION) > 0;

/** The version a list runs at: the highest of `cniVersions` (and `cniVersion`) we implement. */
function pickVersion(list: Json, cniVersion: string): string {
  const raw = list.cniVersions;
  if (raw === undefined) return cniVersion;
  if (!Array.isArray(raw)) throw new ConfError(`error parsing configuration list: invalid type for cniVersions: ${goTypeName(raw)}`);
  const candidates: string[] = [];
  raw.forEach((v: unknown, i) => {
    if (typeof v !== "string") {
      throw new ConfError(`error parsing configuration list: invalid type for cniVersions index ${i}: ${goTypeName(v)}`);
    }
    try {
      if (!newerThanUs(v)) candidates.push(v);
    } catch (err) {
      throw new ConfError(`error parsing configuration list: invalid cniVersions entry ${v} at index ${i}: ${(err as Error).message}`);
    }
  });
  if (cniVersion !== "") {
    try {
      if (!newerThanUs(cniVersion)) candidates.push(cniVersion);
    } catch (err) {
      throw new ConfError(`error parsing configuration list: invalid cniVersion ${cniVersion}: ${(err as Error).message}`);
    }
  }
  candidates.sort((a, b) => compareVersions(a === "" ? "0.1.0" : a, b === "" ? "0.1.0" : b));
  return candidates.at(-1) ?? cniVersion;
}

/** A conflist document (without the plugins that live in `<dir>/<name>/*.conf`). */
export function parseConfList(bytes: Uint8Array): NetworkList {
  const list = decodeObject(bytes, "error parsing configuration list");
  if (!("name" in list)) throw new ConfError("error parsing configuration list: no name");
  const name = list.name;
  if (typeof name !== "string") throw new ConfError(`error parsing configuration list: invalid name type ${goTypeName(name)}`);
  let cniVersion = "";
  if ("cniVersion" in list) {
    if (typeof list.cniVersion !== "string") {
      throw new ConfError(`error parsing configuration list: invalid cniVersion type ${goTypeName(list.cniVersion)}`);
    }
    cniVersion = list.cniVersion;
  }
  cniVersion = pickVersion(list, cniVersion);
  const out: NetworkList = {
    name,
    cniVersion,
    disableCheck: readBool(list, "disableCheck"),
    disableGC: readBool(list, "disableGC"),
    loadOnlyInlinedPlugins: readBool(list, "loadOnlyInlinedPlugins"),
    plugins: [],
    bytes,
  };
  if (!("plugins" in list)) {
    if (out.loadOnlyInlinedPlugins) {
      throw new ConfError("error parsing configuration list: `loadOnlyInlinedPlugins` is true, and no 'plugins' key");
    }
    return out;
  }
  const plugins = list.plugins;
  if (!Array.isArray(plugins)) throw new ConfError(`error parsing configuration list: invalid 'plugins' type ${goTypeName(plugins)}`);
  if (plugins.length === 0) throw new ConfError("error parsing configuration list: no plugins in list");
  plugins.forEach((p: unknown, i) => {
    try {
      out.plugins.push(parsePluginConf(new TextEncoder().encode(goCompact(p))));
    } catch (err) {
      throw new ConfError(`failed to parse plugin config ${i}: ${(err as Error).message}`);
    }
  });
  return out;
}

/** Files in `dir` (not directories) with one of `exts`, sorted by name; a missing dir is empty. */
export function confFiles(dir: string, exts: readonly string[]): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return entries
    .filter((e) => !e.isDirectory() && exts.includes(extname(e.name)))
    .map((e) => e.name)
    .sort()
    .map((n) => join(dir, n));
}

/** A `.conflist` file plus its out-of-line plugins in `<dir>/<name>/*.conf` (libcni ≥ 1.3). */
export function loadConfListFile(file: string): NetworkList {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfError(`error reading ${file}: ${(err as Error).message}`);
  }
  const list = { ...parseConfList(bytes), file };
  if (!list.loadOnlyInlinedPlugins) {
    const dir = join(file, "..", list.name);
    for (const f of confFiles(dir, [".conf"])) list.plugins.push(parsePluginConf(readFileSync(f)));
  }
  if (list.plugins.length === 0) throw new ConfError(`${file}: no plugin configs found`);
  return list;
}

/** Up-converts a single-plugin config into a one-plugin list, the bytes re-marshalled by Go. */
export function confListFromConf(plugin: PluginConf, file?: string): NetworkList {
  const cniVersion = goField(plugin.raw, "cniVersion");
  const bytes = new TextEncoder().encode(
    goCompact({ name: plugin.name, cniVersion: typeof cniVersion === "string" ? cniVersion : "", plugins: [plugin.raw] }),
  );
  return { ...parseConfList(bytes), file };
}

/** libcni's LoadNetworkConf: what `tscni run` and any libcni runtime would pick for `name`. */
export function loadNetwork(dir: string, name: string): NetworkList {
  const lists = confFiles(dir, [".conflist"]);
  for (const f of lists) {
    const l = loadConfListFile(f);
    if (l.name === name) return l;
  }
  const singles = confFiles(dir, [".conf", ".json"]);
  if (singles.length === 0 && lists.length === 0) throw new NotFoundError(`no net configurations found in ${dir}`);
  for (const f of singles) {
    let p: PluginConf;
    try {
      p = parsePluginConf(readFileSync(f));
    } catch (err) {
      throw new ConfError(err instanceof ConfError ? `${f}: ${err.message}` : `error reading ${f}: ${(err as Error).message}`);
    }
    if (p.name === name) return confListFromConf(p, f);
  }
  throw new NotFoundError(`no net configuration with name ${goQuote(name)} in ${dir}`);
}

export interface ScannedFile {
  file: string;
  kind: "conflist" | "conf";
  list?: NetworkList;
  error?: string;
}

/** Every config file in the order libcni considers them, each parsed on its own (for validate/doctor/gc). */
export function scanConfDir(dir: string): ScannedFile[] {
  const out: ScannedFile[] = [];
  for (const file of confFiles(dir, [".conflist"])) {
    try {
      out.push({ file, kind: "conflist", list: loadConfListFile(file) });
    } catch (err) {
      out.push({ file, kind: "conflist", error: (err as Error).message });
    }
  }
  for (const file of confFiles(dir, [".conf", ".json"])) {
    try {
      out.push({ file, kind: "conf", list: confListFromConf(parsePluginConf(readFileSync(file)), file) });
    } catch (err) {
      out.push({ file, kind: "conf", error: (err as Error).message });
    }
  }
  return out;
}
