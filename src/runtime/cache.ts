/**
 * The result cache, in libcni's layout so tscni and containerd/CRI-O/cnitool read each other's
 * entries: `<cacheDir>/results/<network>-<containerID>-<ifname>` (dir 0700, file 0600), one
 * compact JSON object with the fields kind, containerId, config (base64 of the list bytes),
 * ifName, networkName, netns, cniArgs, capabilityArgs, result, in that order.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { goMarshal } from "../cni/index.ts";
import { isObject, sortDeep, type Json } from "./json.ts";
import type { RuntimeConf } from "./members.ts";

export const DEFAULT_CACHE_DIR = "/var/lib/cni";
export const CACHE_KIND = "cniCacheV1";

export interface CachedAttachment extends RuntimeConf {
  network: string;
  /** The list bytes stored at ADD time. */
  config: Uint8Array;
  /** The result as stored (its own cniVersion inside), if any. */
  result?: Json;
  file: string;
}

export function resultsDir(cacheDir: string): string {
  return join(cacheDir, "results");
}

export function cacheFile(cacheDir: string, network: string, rt: Pick<RuntimeConf, "containerId" | "ifname">): string {
  if (network === "" || rt.containerId === "" || rt.ifname === "") {
    throw new Error(
      `cache file path requires network name (${JSON.stringify(network)}), container ID (${JSON.stringify(rt.containerId)}), and interface name (${JSON.stringify(rt.ifname)})`,
    );
  }
  return join(resultsDir(cacheDir), `${network}-${rt.containerId}-${rt.ifname}`);
}

/** The exact bytes libcni writes for an ADD. `result` is the wire result (any key order). */
export function encodeCacheEntry(network: string, config: Uint8Array, rt: RuntimeConf, result: Json): string {
  const entry: Json = {
    kind: CACHE_KIND,
    containerId: rt.containerId,
    config: Buffer.from(config).toString("base64"),
    ifName: rt.ifname,
    networkName: network,
  };
  if (rt.netns !== "") entry.netns = rt.netns;
  if (rt.args.length > 0) entry.cniArgs = rt.args;
  if (rt.capabilityArgs !== undefined && Object.keys(rt.capabilityArgs).length > 0) entry.capabilityArgs = sortDeep(rt.capabilityArgs);
  if (Object.keys(result).length > 0) entry.result = sortDeep(result);
  return goMarshal(entry);
}

export function writeCache(cacheDir: string, network: string, config: Uint8Array, rt: RuntimeConf, result: Json): string {
  const file = cacheFile(cacheDir, network, rt);
  mkdirSync(resultsDir(cacheDir), { recursive: true, mode: 0o700 });
  writeFileSync(file, encodeCacheEntry(network, config, rt, result), { mode: 0o600 });
  return file;
}

export function deleteCache(cacheDir: string, network: string, rt: Pick<RuntimeConf, "containerId" | "ifname">): void {
  try {
    rmSync(cacheFile(cacheDir, network, rt), { force: true });
  } catch {
    // no path (empty id or ifname): nothing was cached
  }
}

function pairs(v: unknown): [string, string][] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter((p): p is [string, string] => Array.isArray(p) && p.length === 2 && p.every((s) => typeof s === "string"));
}

/** Decodes one cache file; undefined when it is not a cniCacheV1 entry. */
export function decodeCacheEntry(text: string, file: string): CachedAttachment | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(v) || v.kind !== CACHE_KIND) return undefined;
  const s = (k: string): string => (typeof v[k] === "string" ? (v[k] as string) : "");
  return {
    network: s("networkName"),
    containerId: s("containerId"),
    ifname: s("ifName"),
    netns: s("netns"),
    args: pairs(v.cniArgs) ?? [],
    capabilityArgs: isObject(v.capabilityArgs) ? v.capabilityArgs : undefined,
    config: Buffer.from(s("config"), "base64"),
    result: isObject(v.result) ? v.result : undefined,
    file,
  };
}

/**
 * The cached result for an attachment, as raw JSON, or undefined when there is none. A legacy
 * entry (the bare result, written by libcni before cniCacheV1) is returned as is.
 */
export function readCachedResult(cacheDir: string, network: string, rt: RuntimeConf): Json | undefined {
  let text: string;
  try {
    text = readFileSync(cacheFile(cacheDir, network, rt), "utf8");
  } catch {
    return undefined;
  }
  const entry = decodeCacheEntry(text, "");
  if (entry !== undefined) return entry.result;
  const legacy: unknown = JSON.parse(text);
  if (!isObject(legacy)) throw new Error(`cached result for network ${JSON.stringify(network)} is not a JSON object`);
  return legacy;
}

/** Every cniCacheV1 attachment, in file-name order (libcni's GetCachedAttachments). */
export function cachedAttachments(cacheDir: string, containerId = ""): CachedAttachment[] {
  const dir = resultsDir(cacheDir);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: CachedAttachment[] = [];
  for (const name of names) {
    if (containerId !== "") {
      const pos = name.indexOf(`-${containerId}-`);
      if (pos <= 0 || pos + containerId.length + 2 >= name.length) continue;
    }
    let text: string;
    try {
      text = readFileSync(join(dir, name), "utf8");
    } catch {
      continue;
    }
    const e = decodeCacheEntry(text, join(dir, name));
    if (e === undefined) continue;
    if (containerId !== "" && e.containerId !== containerId) continue;
    if (e.ifname === "" || e.network === "") continue;
    out.push(e);
  }
  return out;
}
