/**
 * Each plugin's own config checks, for `tscni validate` and `doctor`: the same code the verbs run
 * before acting, in the mode that reports every problem. Lives beside the registry because src/
 * never imports plugins/; each plugin's code is loaded only when a config uses it.
 */
import type { PluginValidator } from "../src/cli/validate.ts";

export async function pluginValidators(): Promise<Readonly<Record<string, PluginValidator>>> {
  return {
    bridge: async (config) => (await import("./bridge/config.ts")).bridgeProblems(config),
    "host-local": async (config) => (await import("../src/ipam/index.ts")).hostLocalProblems(config),
    loopback: async (config) => {
      const [{ LoopbackConfig }, { ProblemList }] = await Promise.all([import("./loopback/config.ts"), import("../src/cni/index.ts")]);
      const p = ProblemList.collect();
      p.decode(LoopbackConfig, config, "failed to parse network config: ");
      return p.problems;
    },
    portmap: async (config, cniVersion) => (await import("./portmap/config.ts")).portmapProblems(config, cniVersion),
  };
}
