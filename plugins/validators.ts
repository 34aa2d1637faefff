/**
 * Each plugin's own config checks, for `tscni validate` and `doctor`: the same code the verbs run
 * before acting, in the mode that reports every problem. Lives beside the registry because src/
 * never imports plugins/; each plugin's code is loaded only when a config uses it.
 */
import type { PluginValidator } from "../src/cli/validate.ts";
import type { ConfigProblem } from "../src/cni/index.ts";

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
    "tscni-chain": async (config, cniVersion) => await chainMemberProblems(config, cniVersion, await pluginValidators()),
  };
}

/** tscni-chain: each member checked by its own plugin's validator, as it would receive its config. */
async function chainMemberProblems(config: Record<string, unknown>, cniVersion: string, all: Readonly<Record<string, PluginValidator>>): Promise<ConfigProblem[]> {
  const members = config.plugins;
  if (!Array.isArray(members) || members.length === 0) return [{ path: "plugins", message: "tscni-chain needs a non-empty plugins array" }];
  const out: ConfigProblem[] = [];
  for (const [i, m] of members.entries()) {
    if (typeof m !== "object" || m === null || Array.isArray(m)) {
      out.push({ path: `plugins[${i}]`, message: "not an object" });
      continue;
    }
    const member = m as Record<string, unknown>;
    const check = all[String(member.type)];
    if (check === undefined) continue;
    const problems = await check({ ...member, name: config.name, cniVersion: config.cniVersion }, cniVersion);
    out.push(...problems.map((p) => ({ ...p, path: p.path === "" ? `plugins[${i}]` : `plugins[${i}].${p.path}` })));
  }
  return out;
}
