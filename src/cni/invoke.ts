/**
 * Delegation to another plugin (IPAM) the way the reference does it (checklist §1.14): looked up
 * in CNI_PATH, given the identical stdin bytes and env with CNI_COMMAND replaced, its result parsed
 * with the config's version. When the plugin found is this very binary, it runs in-process through
 * the same dispatcher instead: same validation, same output, one process less per pod.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { parseResult } from "./convert.ts";
import type { DispatchIo } from "./dispatch.ts";
import { CniError, ErrorCode, internalError } from "./errors.ts";
import { goMarshal } from "./go-json.ts";
import type { Env, Verb } from "./plugin.ts";
import type { Result } from "./result.ts";

/** Plugins this binary can run without exec'ing itself; registered by plugins/main.ts. */
export interface InProcessPlugins {
  has(name: string): boolean;
  /** Runs `name` through the dispatcher; the registrant supplies the netns identity check. */
  run(name: string, io: Omit<DispatchIo, "isOwnNetns">): Promise<number>;
}

let inProcess: InProcessPlugins | undefined;

export function registerInProcessPlugins(table: InProcessPlugins): void {
  inProcess = table;
}

export interface DelegateCall {
  plugin: string;
  command: Verb;
  stdin: Uint8Array;
  env: Env;
  cniVersion: string;
}

/** First regular file named `plugin` in the CNI_PATH directories (stat follows links). */
export function findPlugin(plugin: string, cniPath: string): string {
  if (plugin === "") throw internalError("no plugin name provided");
  if (plugin.includes("/")) throw internalError(`invalid plugin name: ${plugin}`);
  const dirs = cniPath.split(":").filter((d) => d !== "");
  if (dirs.length === 0) throw internalError("no paths provided");
  for (const dir of dirs) {
    const candidate = join(dir, plugin);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  throw internalError(`failed to find plugin ${goMarshal(plugin)} in path [${dirs.join(" ")}]`);
}

function isThisBinary(path: string): boolean {
  try {
    const self = statSync("/proc/self/exe");
    const other = statSync(path);
    return self.dev === other.dev && self.ino === other.ino;
  } catch {
    return false;
  }
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  spawnError?: string;
}

async function runInProcess(table: InProcessPlugins, call: DelegateCall): Promise<Outcome> {
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

async function runExec(path: string, call: DelegateCall): Promise<Outcome> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.env)) if (v !== undefined) env[k] = v;
  env.CNI_COMMAND = call.command;
  for (let attempt = 0; ; attempt++) {
    try {
      const proc = Bun.spawn([path], { env, stdin: call.stdin, stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
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

function failure(o: Outcome): CniError {
  if (o.stdout.trim() === "") {
    if (o.stderr !== "") return internalError(`netplugin failed: ${goMarshal(o.stderr)}`);
    return internalError(`netplugin failed with no error message: ${o.spawnError ?? `exit status ${o.code}`}`);
  }
  try {
    const e = JSON.parse(o.stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    return new CniError(
      typeof e.code === "number" ? e.code : 0,
      typeof e.msg === "string" ? e.msg : "",
      typeof e.details === "string" ? e.details : "",
    );
  } catch (err) {
    return new CniError(
      0,
      `netplugin failed but error parsing its diagnostic message ${goMarshal(o.stdout)}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/**
 * Runs `call.plugin` for `call.command`. ADD returns the parsed result; the other verbs return
 * undefined. A failing delegate's CNI error is re-thrown unchanged (same code and message).
 */
export async function delegate(call: DelegateCall): Promise<Result | undefined> {
  const path = findPlugin(call.plugin, call.env.CNI_PATH ?? "");
  const table = inProcess;
  const outcome =
    table !== undefined && table.has(call.plugin) && isThisBinary(path)
      ? await runInProcess(table, call)
      : await runExec(path, call);
  if (outcome.code !== 0) throw failure(outcome);
  if (outcome.stderr !== "") process.stderr.write(outcome.stderr);
  if (call.command !== "ADD") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(outcome.stdout);
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, `failed to decode IPAM result: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseResult(parsed, call.cniVersion);
}
