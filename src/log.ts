/**
 * Opt-in diagnostics for plugin calls. With `TSCNI_LOG=/path` in the environment (or a string
 * `log` key in the network config) every finished call appends one JSON line there: time,
 * plugin, command, container ID, ifname, duration in ms, and "ok" or the error. Never stdout, and
 * a log that cannot be written never fails the call.
 */
import type { CmdArgs, CniError, Env } from "./cni/index.ts";

export interface CallOutcome {
  command: string;
  args?: CmdArgs;
  error?: CniError;
}

export interface CallLogLine {
  time: string;
  plugin: string;
  command: string;
  containerId: string;
  ifname: string;
  network: string;
  durationMs: number;
  result: "ok" | "error";
  error?: { code: number; msg: string; details?: string };
}

/** Where a call's line goes: TSCNI_LOG wins over the config's `log` key; undefined = off. */
export function logTarget(env: Env, config: Record<string, unknown> | undefined): string | undefined {
  const fromEnv = env.TSCNI_LOG;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const fromConf = config?.log;
  return typeof fromConf === "string" && fromConf.startsWith("/") ? fromConf : undefined;
}

export function callLogLine(plugin: string, o: CallOutcome, durationMs: number, now: Date): CallLogLine {
  const name = o.args?.config.name;
  const line: CallLogLine = {
    time: now.toISOString(),
    plugin,
    command: o.command,
    containerId: o.args?.containerId ?? "",
    ifname: o.args?.ifname ?? "",
    network: typeof name === "string" ? name : "",
    durationMs: Math.round(durationMs * 1000) / 1000,
    result: o.error === undefined ? "ok" : "error",
  };
  if (o.error !== undefined) line.error = o.error.toJSON();
  return line;
}

/**
 * The `onFinish` hook for `dispatch` (DispatchIo.onFinish): pass
 * `logFinishedCall(name, process.env)`. Duration counts from process start, which for a plugin
 * exec is the whole call as the runtime sees it.
 */
export function logFinishedCall(plugin: string, env: Env, startedAt = 0): (o: CallOutcome) => Promise<void> {
  return async (o) => {
    const target = logTarget(env, o.args?.config);
    if (target === undefined) return;
    try {
      const line = callLogLine(plugin, o, performance.now() - startedAt, new Date());
      // Loaded only when logging: node:fs costs every plugin exec start-up time and RSS.
      const { appendFileSync } = await import("node:fs");
      appendFileSync(target, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    } catch {
      // diagnostics only
    }
  };
}
