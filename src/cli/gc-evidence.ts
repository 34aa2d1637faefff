/**
 * How old an attachment is, for `tscni gc`'s grace period. Files carry the proof: a libcni cache
 * entry and a host-local reservation are written by the ADD, so their mtimes say when. Firewall
 * objects carry no time at all; for them the proof is indirect:
 *
 * - the attachment still has a reservation: that reservation's age is the attachment's age;
 * - it has none: an ADD reserves its address before it writes rules, and a DEL removes rules
 *   before it releases the address, so a rule without a reservation belongs to an attachment
 *   whose reservation was removed (or never existed: IPAM that is not host-local). Removing a
 *   reservation or a cache entry changes the mtime of the directory it was in; when every such
 *   directory of the network is older than the grace period, the reservation has been gone for at
 *   least that long, and so has the pod. Otherwise the object is treated as young: a later gc
 *   (once the node's state has been quiet for the grace period) frees it.
 */
import { statSync } from "node:fs";

/** mtime in ms, undefined when the path does not exist. */
export function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The time of the latest change any of `dirs` records (undefined when none exists: then nothing
 * proves an age, and the caller must treat the object as young).
 */
export function lastChange(dirs: readonly string[]): number | undefined {
  const times = dirs.map(mtimeMs).filter((t) => t !== undefined);
  return times.length === 0 ? undefined : Math.max(...times);
}

export const ageSeconds = (nowMs: number, thenMs: number): number => Math.max(0, Math.floor((nowMs - thenMs) / 1000));
