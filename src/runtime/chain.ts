/**
 * A second public surface of src/runtime, beside index.ts, for the tscni-chain plugin: list
 * execution (members, the in-process-or-exec choice, member failures) without the runtime's
 * result cache and config-dir code, so a chain-mode exec loads no node:fs or node:path.
 */
export { ConfError, type NetworkList, pluginConfFrom, type PluginConf } from "./conf.ts";
export { inProcessOrSpawn } from "./exec.ts";
export { MemberFailure } from "./member.ts";
export { type ChainedResult, Members, type RuntimeConf } from "./members.ts";
