/**
 * Network configuration loading with libcni's rules (SPEC.md "Network configuration lists"):
 * `.conflist` files first, in file-name order, the first whose name matches wins; then the legacy
 * single-plugin `.conf`/`.json` files, up-converted to a one-plugin list. Any file that fails to
 * parse before the match is an error, as in libcni.
 */
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { goQuote } from "../gofmt/index.ts";
import { ConfError, confListFromConf, type NetworkList, NotFoundError, parseConfList, parsePluginConf, type PluginConf } from "./conf.ts";

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
