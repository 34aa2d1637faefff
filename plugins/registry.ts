/**
 * The plugins this binary answers to: the only list of their names. Each line is the plugin's
 * whole description (src/container's PluginEntry): its verbs, its config check, whether it must be
 * chained, and what it owns on the host. The build links each name, the CLI installs, validates,
 * diagnoses and collects garbage through these entries, the multicall entry dispatches on them. A
 * new plugin is its folder plus one line here. Loaded lazily: an exec of `loopback` never parses
 * the bridge's code.
 */
import type { PluginEntry } from "../src/container/index.ts";

const loaders = {
  bridge: async () => (await import("./bridge/index.ts")).bridge,
  "host-local": async () => (await import("./host-local/index.ts")).hostLocal,
  loopback: async () => (await import("./loopback/index.ts")).loopback,
  portmap: async () => (await import("./portmap/index.ts")).portmap,
  "tscni-chain": async () => (await import("./tscni-chain/index.ts")).tscniChain,
} satisfies Record<string, () => Promise<PluginEntry>>;

export type PluginName = keyof typeof loaders;
export const PLUGIN_NAMES = Object.keys(loaders) as readonly PluginName[];

export function isPluginName(name: string): name is PluginName {
  return Object.hasOwn(loaders, name);
}

export function pluginLoader(name: PluginName): () => Promise<PluginEntry> {
  return loaders[name];
}

/** The entry for a plugin type, or undefined when tscni does not provide it (the CLI's PluginLookup). */
export async function pluginEntry(type: string): Promise<PluginEntry | undefined> {
  return isPluginName(type) ? await loaders[type]() : undefined;
}
