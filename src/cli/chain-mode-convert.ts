/**
 * A conflist into chain mode and back, as JSON documents. Chain mode puts the whole `plugins`
 * array inside one `tscni-chain` entry that declares every capability its members declare, so
 * the runtime hands it each member's runtimeConfig and it hands each member only its own. All
 * other list keys (name, cniVersion(s), disableCheck, disableGC, …) stay where they are.
 */

export const CHAIN_TYPE = "tscni-chain";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function pluginsOf(list: Json): Json[] {
  const plugins = list.plugins;
  if (!Array.isArray(plugins) || plugins.length === 0 || !plugins.every(isObject)) {
    throw new Error("not a conflist with a non-empty `plugins` array of objects");
  }
  return plugins;
}

export function isChainMode(list: Json): boolean {
  const plugins = list.plugins;
  return Array.isArray(plugins) && plugins.length === 1 && isObject(plugins[0]) && plugins[0].type === CHAIN_TYPE;
}

/** Every capability set to true by some member, in order of first appearance. */
function declaredCapabilities(plugins: Json[]): Json {
  const caps: Json = {};
  for (const p of plugins) {
    if (!isObject(p.capabilities)) continue;
    for (const [k, v] of Object.entries(p.capabilities)) if (v === true) caps[k] = true;
  }
  return caps;
}

/** The list with its plugins run by one tscni-chain exec. */
export function toChainMode(list: Json): Json {
  if (isChainMode(list)) throw new Error("already in chain mode");
  const plugins = pluginsOf(list);
  const caps = declaredCapabilities(plugins);
  const chain: Json = { type: CHAIN_TYPE, ...(Object.keys(caps).length > 0 ? { capabilities: caps } : {}), plugins };
  return { ...list, plugins: [chain] };
}

/** The plain list a chain-mode list came from. */
export function fromChainMode(list: Json): Json {
  if (!isChainMode(list)) throw new Error("not in chain mode");
  const chain = pluginsOf(list)[0] as Json;
  return { ...list, plugins: pluginsOf(chain) };
}
