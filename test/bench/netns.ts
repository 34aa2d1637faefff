/**
 * Container network namespaces for the benchmark, made by the suite's one spawner (tempNetns) and
 * remembered here so that every one still alive can be ended by PID when the bench stops.
 */
import { tempNetns, type TempNetns } from "../harness.ts";

export interface Netns {
  path: string;
  pid: number;
}

const live = new Map<number, TempNetns>();

export async function newNetns(): Promise<Netns> {
  const ns = await tempNetns();
  live.set(ns.pid, ns);
  return ns;
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
  const held = live.get(ns.pid);
  if (held === undefined) return;
  live.delete(ns.pid);
  await held[Symbol.asyncDispose]();
}

/** Ends every namespace process still alive (normal exit, error or signal). */
export function killAllNetnsSync(): void {
  for (const [pid, ns] of live) {
    ns.kill();
    live.delete(pid);
  }
}
