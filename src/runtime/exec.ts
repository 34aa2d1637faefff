/**
 * Finding and running a plugin binary the way libcni's invoke package does: first regular file
 * named `type` in the bin dirs; the process env plus the CNI_* variables; the error document on
 * stdout turned back into a CniError (code and message preserved).
 */
import { type CniError, execPlugin, type ExecReply, findPlugin, runPluginFile, type Verb } from "../cni/index.ts";

export type { ExecReply };

export interface ExecRequest {
  path: string;
  stdin: string;
  env: Record<string, string>;
}

/** Runs one plugin process; injectable so the runtime is unit-testable without binaries. */
export type PluginExec = (req: ExecRequest) => Promise<ExecReply>;

export const findInPath = findPlugin;

/** The default: exec the plugin as libcni does (see src/cni/invoke.ts). */
export const spawnPlugin: PluginExec = (req) => execPlugin(req.path, req.env, new TextEncoder().encode(req.stdin));

/**
 * For a plugin exec that runs a list itself (chain mode): a member that is this very binary under
 * a plugin name runs in this process through the dispatcher; any other file is exec'd as above.
 */
export const inProcessOrSpawn: PluginExec = (req) =>
  runPluginFile(req.path, {
    plugin: req.path.slice(req.path.lastIndexOf("/") + 1),
    command: (req.env.CNI_COMMAND ?? "") as Verb,
    env: req.env,
    stdin: new TextEncoder().encode(req.stdin),
  });

/** types.Error's text: "msg" or "msg; details". */
export function errorText(e: CniError): string {
  return e.details === "" ? e.message : `${e.message}; ${e.details}`;
}
