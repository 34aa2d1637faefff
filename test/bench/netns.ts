/**
 * Container network namespaces for the benchmark: each one is held open by an
 * `unshare --net sleep` process we started, and ended by its PID. Readiness is checked in-process
 * (readlink of /proc/<pid>/ns/net), so creating hundreds of them costs no extra execs.
 */
import { netnsReady } from "../harness.ts";
import type { Subprocess } from "bun";

export interface Netns {
  path: string;
  pid: number;
}

const live = new Map<number, Subprocess>();

export async function newNetns(): Promise<Netns> {
  const proc = Bun.spawn(["unshare", "--net", "--", "sleep", "infinity"], { stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  live.set(proc.pid, proc);
  const path = `/proc/${proc.pid}/ns/net`;
  if (await netnsReady(proc, path)) return { path, pid: proc.pid };
  await killNetns({ path, pid: proc.pid });
  throw new Error("unshare --net sleep did not come up");
}

/** Creates n namespaces, `width` at a time. */
export async function newNetnsMany(n: number, width = 16): Promise<Netns[]> {
  const out: Netns[] = [];
  for (let i = 0; i < n; i += width) {
    const batch = await Promise.all(Array.from({ length: Math.min(width, n - i) }, () => newNetns()));
    out.push(...batch);
  }
  return out;
}

export async function killNetns(ns: Netns): Promise<void> {
  const proc = live.get(ns.pid);
  if (proc === undefined) return;
  live.delete(ns.pid);
  proc.kill("SIGKILL");
  await proc.exited;
}

/** Ends every namespace process still alive (normal exit, error or signal). */
export function killAllNetnsSync(): void {
  for (const [pid, proc] of live) {
    proc.kill("SIGKILL");
    live.delete(pid);
  }
}
