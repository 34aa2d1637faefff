/**
 * The plugins this binary answers to: the only list of their names. The build links each name,
 * the CLI installs and checks each, the multicall entry dispatches on them. A new plugin is its
 * folder plus one line here. Loaded lazily: an exec of `loopback` never parses the bridge's code.
 */
import type { PluginDef } from "../src/cni/index.ts";

const loaders = {
  bridge: async () => (await import("./bridge/index.ts")).bridge,
  "host-local": async () => (await import("./host-local/index.ts")).hostLocal,
  loopback: async () => (await import("./loopback/index.ts")).loopback,
  portmap: async () => (await import("./portmap/index.ts")).portmap,
  "tscni-chain": async () => (await import("./tscni-chain/index.ts")).tscniChain,
} satisfies Record<string, () => Promise<PluginDef>>;

export type PluginName = keyof typeof loaders;
export const PLUGIN_NAMES = Object.keys(loaders) as readonly PluginName[];

export function isPluginName(name: string): name is PluginName {
  return Object.hasOwn(loaders, name);
}

export function pluginLoader(name: PluginName): () => Promise<PluginDef> {
  return loaders[name];
}
