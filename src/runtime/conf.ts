/**
 * Network configuration documents parsed with libcni's rules (SPEC.md "Network configuration
 * lists"): a conflist, one plugin entry, a single-plugin config up-converted to a list. Reading
 * them from a config dir is conf-files.ts (node:fs), kept apart so that chain mode, which gets its
 * list on stdin, does not load it.
 */
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
  return pluginConfOf(decodeObject(bytes, "error parsing configuration"));
}

/**
 * `parsePluginConf` of a value already decoded from JSON (a list's entry): what decoding its
 * marshalled bytes again would give, without the trip.
 */
export function pluginConfFrom(v: unknown): PluginConf {
  if (!isObject(v)) throw new ConfError(`error parsing configuration: json: cannot unmarshal ${goTypeName(v)} into a JSON object`);
  return pluginConfOf(v);
}

function pluginConfOf(raw: Json): PluginConf {
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

/** Up-converts a single-plugin config into a one-plugin list, the bytes re-marshalled by Go. */
export function confListFromConf(plugin: PluginConf, file?: string): NetworkList {
  const cniVersion = goField(plugin.raw, "cniVersion");
  const bytes = new TextEncoder().encode(
    goCompact({ name: plugin.name, cniVersion: typeof cniVersion === "string" ? cniVersion : "", plugins: [plugin.raw] }),
  );
  return { ...parseConfList(bytes), file };
}
