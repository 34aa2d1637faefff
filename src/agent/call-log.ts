/**
 * The call log is bounded while the agent runs: once it passes a size it becomes <log>.1
 * (replacing the older one), so the node keeps at most two files and a /metrics scrape reads at
 * most about twice the bound. Plugins open the log by path with O_APPEND on every call, so the
 * next call writes a new file; a call that opened it just before the rename still lands in .1,
 * which metrics reads too. Counters drop when an old file goes: a counter reset to Prometheus.
 */
import { renameSync, statSync } from "node:fs";

export const CALL_LOG_MAX_BYTES = 8 * 1024 * 1024;

export const previousCallLog = (path: string): string => `${path}.1`;

/** Rotates the log when it holds maxBytes or more; true when it did. */
export function rotateCallLog(path: string, maxBytes = CALL_LOG_MAX_BYTES): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size < maxBytes) return false;
  renameSync(path, previousCallLog(path));
  return true;
}
