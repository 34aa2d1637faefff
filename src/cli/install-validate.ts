/**
 * The default network install is about to write, checked with validate's own checks (the list's
 * keys, each plugin's loader, interface names) before anything changes: install never writes a
 * conflist that `tscni validate` rejects and every ADD then fails on.
 */
import type { ConfigProblem } from "../cni/index.ts";
import { parseConfList } from "../runtime/index.ts";
import { UsageError } from "./command-line.ts";
import type { PluginLookup } from "../container/index.ts";
import { checkList } from "./validate-file.ts";

/** The install flag that put a value at `path` of the default conflist. */
function flagOf(path: string): string {
  if (path === "name") return "--network-name";
  if (/^plugins\[\d+\]\.bridge$/.test(path)) return "--bridge";
  if (path.includes(".ipam")) return "--default-network";
  return path === "" ? "the default network" : path;
}

const describe = (p: ConfigProblem): string => `${flagOf(p.path)}: ${p.message}`;

/** Throws a UsageError (nothing done yet) naming each flag whose value makes `text` invalid. */
export async function refuseInvalidConflist(text: string, plugins: PluginLookup): Promise<void> {
  let found: readonly ConfigProblem[];
  try {
    found = (await checkList(parseConfList(new TextEncoder().encode(text)), plugins, undefined, false)).all;
  } catch (e) {
    found = [{ path: "", message: (e as Error).message }];
  }
  if (found.length === 0) return;
  throw new UsageError(`refusing to write a default network tscni validate rejects: ${found.map(describe).join("; ")}`);
}
