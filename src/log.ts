/**
 * The opt-in call log. Where it goes is the node operator's choice only: `TSCNI_LOG=/path` in the
 * runtime's environment, or, when a network config switches logging on (`"log": true`), the
 * fixed file /var/log/tscni/calls.jsonl. A config never chooses a path: its author (a Multus
 * attachment in some namespace, say) is not the node's root.
 *
 * Every plugin exec imports this module, so it imports nothing and does nothing while logging is
 * off: `logStep` and `logRolledBack` are one comparison. The writer (node:fs, formatting) loads
 * only when a line is written.
 */
export const DEFAULT_LOG_FILE = "/var/log/tscni/calls.jsonl";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What the log records of a finished call. Only the fields it writes, so the log depends on no
 * protocol module (the dispatcher's call arguments and errors fit this shape).
 */
export interface CallOutcome {
  command: string;
  args?: { containerId: string; ifname: string; args: string; config: Record<string, unknown> };
  error?: { toJSON(): { code: number; msg: string; details?: string } };
  /** The result document written to stdout, if any. */
  output?: string;
}

export interface StepTime {
  step: string;
  ms: number;
}

let steps: StepTime[] | undefined;
let rolledBack: string[] = [];
let stepStart = 0;

/** Milliseconds to the microsecond, as every log line carries them. */
export const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Ends a step of the call ("netns", "veth", "ipam", "addresses", "firewall", "wait"), naming it. */
export function logStep(step: string): void {
  if (steps === undefined) return;
  const now = performance.now();
  steps.push({ step, ms: roundMs(now - stepStart) });
  stepStart = now;
}

/** A failed ADD undid this ("delete veth", "IPAM DEL"). */
export function logRolledBack(what: string): void {
  if (steps !== undefined) rolledBack.push(what);
}

/** Where this call's line goes, or undefined when logging is off. */
export function logTarget(env: Env, config: Record<string, unknown> | undefined): string | undefined {
  const fromEnv = env.TSCNI_LOG;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const on = config?.log;
  return on === true ? DEFAULT_LOG_FILE : undefined;
}

/**
 * The `onFinish` hook for `dispatch`: `logFinishedCall(name, process.env, performance.now())` at
 * the start of the exec. Step times are recorded only when TSCNI_LOG is set (known this early);
 * a config-enabled log gets the line without them.
 */
export function logFinishedCall(plugin: string, env: Env, startedAt = 0): (o: CallOutcome) => Promise<void> {
  if (env.TSCNI_LOG !== undefined && env.TSCNI_LOG !== "") {
    steps = [];
    rolledBack = [];
    stepStart = startedAt;
  }
  return async (o) => {
    const target = logTarget(env, o.args?.config);
    if (target === undefined) return;
    const { writeCallLine } = await import("./log-file.ts");
    writeCallLine(target, { plugin, outcome: o, durationMs: performance.now() - startedAt, steps: steps ?? [], rolledBack });
  };
}
