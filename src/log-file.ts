/**
 * Writes one call-log line, safely for a root process: the file is opened without following a
 * symbolic link, must be a regular file owned by this user with a single name (so no one can
 * point it at /etc/shadow or make it a FIFO that blocks the call), and is created 0600. A log
 * that cannot be written costs one stderr line, never the plugin call.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { type CallOutcome, DEFAULT_LOG_FILE, roundMs, type StepTime } from "./log.ts";

export interface CallLogLine {
  time: string;
  plugin: string;
  command: string;
  containerId: string;
  ifname: string;
  network: string;
  pod?: { namespace: string; name: string };
  addresses?: string[];
  steps: StepTime[];
  durationMs: number;
  result: "ok" | "error";
  error?: { code: number; msg: string; details?: string };
  rolledBack?: string[];
}

export interface CallRecord {
  plugin: string;
  outcome: CallOutcome;
  durationMs: number;
  steps: readonly StepTime[];
  rolledBack: readonly string[];
}

/** K8S_POD_NAMESPACE / K8S_POD_NAME from CNI_ARGS ("K=V;K=V"), when the runtime sent them. */
function podOf(cniArgs: string): CallLogLine["pod"] {
  const kv = new Map(cniArgs.split(";").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)] as const));
  const name = kv.get("K8S_POD_NAME");
  return name === undefined || name === "" ? undefined : { namespace: kv.get("K8S_POD_NAMESPACE") ?? "", name };
}

function addressesOf(output: string | undefined): string[] | undefined {
  if (output === undefined) return undefined;
  try {
    const r = JSON.parse(output) as { ips?: { address?: unknown }[]; ip4?: { ip?: unknown }; ip6?: { ip?: unknown } };
    const list = [...(r.ips ?? []).map((i) => i.address), r.ip4?.ip, r.ip6?.ip].filter((a): a is string => typeof a === "string");
    return list.length > 0 ? list : undefined;
  } catch {
    return undefined;
  }
}

export function callLogLine(r: CallRecord, now: Date): CallLogLine {
  const a = r.outcome.args;
  const name = a?.config.name;
  const line: CallLogLine = {
    time: now.toISOString(),
    plugin: r.plugin,
    command: r.outcome.command,
    containerId: a?.containerId ?? "",
    ifname: a?.ifname ?? "",
    network: typeof name === "string" ? name : "",
    steps: [...r.steps],
    durationMs: roundMs(r.durationMs),
    result: r.outcome.error === undefined ? "ok" : "error",
  };
  const pod = podOf(a?.args ?? "");
  if (pod !== undefined) line.pod = pod;
  const addresses = addressesOf(r.outcome.output);
  if (addresses !== undefined) line.addresses = addresses;
  if (r.outcome.error !== undefined) line.error = r.outcome.error.toJSON();
  if (r.rolledBack.length > 0) line.rolledBack = [...r.rolledBack];
  return line;
}

/** Opens the log for appending, or says why not. */
export function openLog(path: string): number {
  if (!path.startsWith("/")) throw new Error("TSCNI_LOG must be an absolute path");
  if (path === DEFAULT_LOG_FILE) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = constants;
  // O_NONBLOCK: opening a FIFO must not wait for a reader (it is refused just below).
  const fd = openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error("not a regular file");
    if (st.uid !== process.geteuid?.()) throw new Error(`owned by uid ${st.uid}, not by this user`);
    if (st.nlink !== 1) throw new Error("has other hard links");
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

export function writeCallLine(path: string, r: CallRecord): void {
  try {
    const fd = openLog(path);
    try {
      writeSync(fd, `${JSON.stringify(callLogLine(r, new Date()))}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENXIO: a FIFO nobody reads (O_NONBLOCK open); a FIFO with a reader is refused after fstat.
    const why = code === "ELOOP" ? "is a symbolic link" : code === "ENXIO" ? "not a regular file" : (err as Error).message;
    try {
      writeSync(2, `tscni: call log ${path} not written: ${why}\n`);
    } catch {
      // stderr gone too: diagnostics only
    }
  }
}
