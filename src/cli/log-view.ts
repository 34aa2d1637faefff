/**
 * `tscni log`: the recent plugin calls from the call log as a timeline an operator can read,
 * optionally for one pod (its K8S_POD_NAME, or a container ID prefix).
 */
import { readFileSync } from "node:fs";
import type { CallLogLine } from "../log-file.ts";

export interface LogViewOptions {
  file: string;
  pod?: string;
  namespace?: string;
  limit: number;
  out: (text: string) => void;
}

function parseLines(text: string): CallLogLine[] {
  const out: CallLogLine[] = [];
  for (const l of text.split("\n")) {
    if (l.trim() === "") continue;
    try {
      const v = JSON.parse(l) as CallLogLine;
      if (typeof v === "object" && v !== null && typeof v.command === "string") out.push(v);
    } catch {
      // a torn or foreign line: skip it, the rest is still worth reading
    }
  }
  return out;
}

const matches = (l: CallLogLine, o: LogViewOptions): boolean =>
  (o.pod === undefined || l.pod?.name === o.pod || (o.pod.length >= 6 && l.containerId.startsWith(o.pod))) &&
  (o.namespace === undefined || l.pod?.namespace === o.namespace);

const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

export function renderCall(l: CallLogLine): string {
  const who = l.pod !== undefined ? `${l.pod.namespace}/${l.pod.name}` : "-";
  const status = l.result === "ok" ? "ok" : `error ${l.error?.code ?? "?"}`;
  const head = [l.time, l.command.padEnd(5), l.plugin.padEnd(10), who, `${l.containerId.slice(0, 12)}:${l.ifname}`, `network ${JSON.stringify(l.network)}`, status, ms(l.durationMs)];
  const lines = [head.join("  ")];
  if (l.addresses !== undefined) lines.push(`    addresses: ${l.addresses.join(", ")}`);
  if (l.steps.length > 0) lines.push(`    steps: ${l.steps.map((s) => `${s.step} ${ms(s.ms)}`).join(" → ")}`);
  if (l.error !== undefined) lines.push(`    error: ${l.error.msg}${l.error.details ? `: ${l.error.details}` : ""}`);
  if (l.rolledBack !== undefined) lines.push(`    rolled back: ${l.rolledBack.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

export function logCommand(o: LogViewOptions): number {
  let text: string;
  try {
    text = readFileSync(o.file, "utf8");
  } catch (e) {
    throw new Error(`cannot read the call log ${o.file}: ${(e as Error).message} (plugins write it when TSCNI_LOG is set in the runtime's environment)`);
  }
  const calls = parseLines(text).filter((l) => matches(l, o)).slice(-o.limit);
  if (calls.length === 0) {
    o.out(o.pod === undefined ? `no calls in ${o.file}\n` : `no calls for pod ${JSON.stringify(o.pod)} in ${o.file}\n`);
    return 0;
  }
  for (const c of calls) o.out(renderCall(c));
  return 0;
}
