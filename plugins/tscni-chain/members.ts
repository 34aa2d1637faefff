/**
 * tscni-chain as the operator tools see it: each member checked and described by its own plugin,
 * with the config it would receive (the list's name and cniVersion over its own keys).
 */
import { internalError, type ProblemList } from "../../src/cni/index.ts";
import { describeConfig, mergeDescriptions, type PluginDescription, type PluginLookup } from "../../src/container/index.ts";

type Json = Record<string, unknown>;

const lookup: PluginLookup = async (type) => (await import("../registry.ts")).pluginEntry(type);

function members(config: Json): { config: Json; type: string }[] | undefined {
  const list = config.plugins;
  if (!Array.isArray(list)) return undefined;
  return list.map((m: unknown) => {
    const member = m !== null && typeof m === "object" && !Array.isArray(m) ? (m as Json) : {};
    return { config: { ...member, name: config.name, cniVersion: config.cniVersion }, type: String(member.type) };
  });
}

export async function checkMembers(config: Json, p: ProblemList, cniVersion: string): Promise<void> {
  const ms = members(config);
  if (ms === undefined || ms.length === 0) {
    p.check("plugins", () => {
      throw internalError("tscni-chain needs a non-empty plugins array");
    });
    return;
  }
  for (const [i, m] of ms.entries()) await (await lookup(m.type))?.checkConfig(m.config, p.nested(`plugins[${i}]`), cniVersion);
}

export async function describeMembers(config: Json): Promise<PluginDescription> {
  return mergeDescriptions(await Promise.all((members(config) ?? []).map((m) => describeConfig(lookup, m.type, m.config))));
}
