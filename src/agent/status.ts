/**
 * What the agent last knew, in a file under /run/tscni that `tscni doctor` reads: why the node has
 * no network config yet, which peers are routed and which cannot be, whether masquerade and gc ran.
 */
import { readFileSync, renameSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Unreachable } from "./peers.ts";

export const DEFAULT_STATUS_FILE = "/run/tscni/agent-status.json";

export type Phase = "starting" | "no-api" | "no-node" | "no-pod-cidr" | "refused" | "ready";

export interface AgentStatus {
  time: string;
  node: string;
  phase: Phase;
  /** One sentence: what the agent is waiting for, or what it did. */
  message: string;
  podCIDRs: string[];
  conflist?: string;
  routed: { node: string; dst: string; gw: string }[];
  unreachable: Unreachable[];
  problems: string[];
  gc?: { time: string; released: number; deleted: number; firewall: number; errors: number };
}

export function writeStatus(file: string, s: AgentStatus): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}

export function readStatus(file: string): AgentStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as AgentStatus;
  } catch {
    return undefined;
  }
}
