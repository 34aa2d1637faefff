/**
 * Where `tscni gc` and `tscni doctor` find host-local state and whether a cached attachment is
 * still alive: shared so both commands call the same thing stale.
 */
import { existsSync, readdirSync } from "node:fs";
import { resolve, sep } from "node:path";
import { describeConfig, mergeDescriptions, type PluginDescription, type PluginLookup } from "../container/index.ts";
import { DiskStore } from "../ipam/index.ts";
import { type CachedAttachment, type NetworkList, Runtime } from "../runtime/index.ts";

/** What a network's chain owns and uses on the host: each plugin's description, merged. */
export async function describeList(list: NetworkList, plugins: PluginLookup): Promise<PluginDescription> {
  const configs = list.plugins.map((p) => ({ type: p.type, config: JSON.parse(Runtime.pluginStdin(list, p, undefined, undefined)) as Record<string, unknown> }));
  return mergeDescriptions(await Promise.all(configs.map((c) => describeConfig(plugins, c.type, c.config))));
}

/** Each network's description by name (the lists a runtime would use: names are unique). */
export async function describeLists(lists: readonly NetworkList[], plugins: PluginLookup): Promise<Map<string, PluginDescription>> {
  return new Map(await Promise.all(lists.map(async (l) => [l.name, await describeList(l, plugins)] as const)));
}

/**
 * The host-local stores a network uses, one per data dir, opened without creating anything: a
 * network that never ran has no reservations, and looking leaves no trace.
 */
export function hostLocalStores(list: NetworkList, d: PluginDescription | undefined): DiskStore[] {
  const stores = new Map<string, DiskStore>();
  for (const { dataDir } of d?.ipam ?? []) {
    const store = new DiskStore(dataDir, list.name, { create: false });
    if (!stores.has(store.dir)) stores.set(store.dir, store);
  }
  return [...stores.values()];
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A cached attachment's netns still exists (inside `netnsDir` when it points there). */
export function netnsAlive(a: CachedAttachment, netnsDir: string): boolean {
  if (a.netns === "") return false;
  const p = resolve(a.netns);
  const base = resolve(netnsDir);
  // Under the runtime's netns dir the name must still be listed there; elsewhere it must exist.
  if (p.startsWith(base + sep)) return readdirSafe(base).includes(p.slice(base.length + 1));
  return existsSync(p);
}
