/**
 * name → plugin, loaded lazily: an exec of `loopback` never parses the bridge's code.
 */
import type { PluginDef } from "../src/cni/index.ts";

export const PLUGIN_NAMES = ["bridge", "host-local", "loopback", "portmap"] as const;
export type PluginName = (typeof PLUGIN_NAMES)[number];

const loaders: Partial<Record<PluginName, () => Promise<PluginDef>>> = {
  bridge: async () => (await import("./bridge/index.ts")).bridge,
  "host-local": async () => (await import("./host-local/index.ts")).hostLocal,
  loopback: async () => (await import("./loopback/index.ts")).loopback,
  portmap: async () => (await import("./portmap/index.ts")).portmap,
};

export function isPluginName(name: string): name is PluginName {
  return (PLUGIN_NAMES as readonly string[]).includes(name);
}

export function pluginLoader(name: PluginName): (() => Promise<PluginDef>) | undefined {
  return loaders[name];
}

/** The in-process table handed to delegation (a plugin that execs an IPAM can skip the exec). */
export function inProcessTable(): ReadonlyMap<string, () => Promise<PluginDef>> {
  return new Map(Object.entries(loaders).filter((e): e is [string, () => Promise<PluginDef>] => e[1] !== undefined));
}
