/**
 * Delegation to another plugin (IPAM) the way the reference does it, so any IPAM plugin works: looked up
 * in CNI_PATH, given the identical stdin bytes and env with CNI_COMMAND replaced, its result parsed
 * with the config's version. When the plugin found is this very binary, it runs in-process through
 * the same dispatcher instead: same validation, same output, one process less per pod.
 */
import { filter } from "../plain-array.ts";
import { joinPath } from "../sys/paths.ts";
import { statId } from "../sys/libc.ts";
import { markExecEnd, markExecStart } from "../profile.ts";
import { spawnCollect } from "../spawn.ts";
import { parseResult } from "./convert.ts";
import { CniError, ErrorCode, internalError } from "./errors.ts";
import { goField, goMarshal } from "./go-json.ts";
import type { Env, Verb } from "./plugin.ts";
import type { Result } from "./result.ts";
import { type InProcessPlugins, inProcessPlugins } from "./in-process.ts";

export { type InProcessPlugins, registerInProcessPlugins } from "./in-process.ts";

export interface DelegateCall {
  plugin: string;
  command: Verb;
  stdin: Uint8Array;
  env: Env;
  cniVersion: string;
}

/** First regular file named `plugin` in `dirs` (stat follows links), as libcni's FindInPath. */
export function findPlugin(plugin: string, dirs: readonly string[]): string {
  if (plugin === "") throw internalError("no plugin name provided");
  if (plugin.includes("/")) throw internalError(`invalid plugin name: ${plugin}`);
  if (dirs.length === 0) throw internalError("no paths provided");
  for (const dir of dirs) {
    // libc, not node:fs / node:path: loading those compiles them from source (+3.9 M instructions).
    const candidate = joinPath(dir, plugin);
    if (isRegularFile(statId(candidate).mode)) return candidate;
  }
  throw internalError(`failed to find plugin ${goMarshal(plugin)} in path [${dirs.join(" ")}]`);
}

/** CNI_PATH's directories, empty entries dropped. */
export const pathDirs = (cniPath: string): string[] => filter(cniPath.split(":"), (d) => d !== "");

const S_IFMT = 0o170000;
const isRegularFile = (mode: number): boolean => (mode & S_IFMT) === 0o100000;

function isThisBinary(path: string): boolean {
  const self = statId("/proc/self/exe");
  const other = statId(path);
  return self.ret === 0 && other.ret === 0 && self.dev === other.dev && self.ino === other.ino;
}

export interface ExecReply {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

async function runInProcess(table: InProcessPlugins, call: Omit<DelegateCall, "cniVersion">): Promise<ExecReply> {
  let stdout = "";
  let stderr = "";
  const code = await table.run(call.plugin, {
    env: { ...call.env, CNI_COMMAND: call.command },
    readStdin: async () => call.stdin,
    writeStdout: (t) => void (stdout += t),
    writeStderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

const TEXT_BUSY_RETRIES = 5;

/** Execs a plugin binary (argv = its path, no shell), retrying "text file busy" like libcni. */
export async function execPlugin(path: string, env: Readonly<Record<string, string>>, stdin: Uint8Array): Promise<ExecReply> {
  for (let attempt = 0; ; attempt++) {
    try {
      markExecStart();
      const { code, stdout, stderr } = await spawnCollect([path], { env, stdin });
      markExecEnd(path);
      return { code, stdout, stderr };
    } catch (err) {
      const errno = (err as NodeJS.ErrnoException).code;
      if (errno === "ETXTBSY" && attempt < TEXT_BUSY_RETRIES) {
        await Bun.sleep(1000);
        continue;
      }
      return { code: -1, stdout: "", stderr: "", spawnError: err instanceof Error ? err.message : String(err) };
    }
  }
}

/**
 * The error a failed plugin run becomes (libcni's invoke): its own error document unchanged, or a
 * code-0 error describing what went wrong when it printed none.
 */
export function pluginFailure(reply: ExecReply): CniError {
  if (reply.stdout === "") {
    if (reply.stderr !== "") return new CniError(0, `netplugin failed: ${goMarshal(reply.stderr)}`);
    return new CniError(0, `netplugin failed with no error message: ${reply.spawnError ?? `exit status ${reply.code}`}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(reply.stdout);
  } catch (err) {
    return new CniError(
      0,
      `netplugin failed but error parsing its diagnostic message ${goMarshal(reply.stdout)}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const o = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>) : {};
  const code = goField(o, "code");
  const msg = goField(o, "msg");
  const details = goField(o, "details");
  return new CniError(typeof code === "number" ? code : 0, typeof msg === "string" ? msg : "", typeof details === "string" ? details : "");
}

function execEnv(call: Omit<DelegateCall, "cniVersion">): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.env)) if (v !== undefined) env[k] = v;
  env.CNI_COMMAND = call.command;
  return env;
}

/** Runs the plugin file found at `path`: in this process when it is this binary under a name it answers to. */
export async function runPluginFile(path: string, call: Omit<DelegateCall, "cniVersion">): Promise<ExecReply> {
  const table = inProcessPlugins();
  if (table !== undefined && table.has(call.plugin) && isThisBinary(path)) return await runInProcess(table, call);
  return await execPlugin(path, execEnv(call), call.stdin);
}

/**
 * Runs `call.plugin` for `call.command`. ADD returns the parsed result; the other verbs return
 * undefined. A failing delegate's CNI error is re-thrown unchanged (same code and message).
 */
export async function delegate(call: DelegateCall): Promise<Result | undefined> {
  const path = findPlugin(call.plugin, pathDirs(call.env.CNI_PATH ?? ""));
  const outcome = await runPluginFile(path, call);
  if (outcome.code !== 0) throw pluginFailure(outcome);
  if (outcome.stderr !== "") process.stderr.write(outcome.stderr);
  if (call.command !== "ADD") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(outcome.stdout);
  } catch (err) {
    throw new UnusableResultError(ErrorCode.DecodingFailure, `failed to decode IPAM result: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseResult(parsed, call.cniVersion);
  } catch (err) {
    const e = CniError.from(err);
    throw new UnusableResultError(e.code, e.message, e.details, { cause: err });
  }
}

/**
 * The delegate's ADD succeeded, so it holds what it allocated, but its result cannot be used:
 * the caller must DEL it before failing.
 */
export class UnusableResultError extends CniError {}
