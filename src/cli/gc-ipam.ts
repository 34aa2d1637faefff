/**
 * Where `tscni gc` and `tscni doctor` find host-local state and whether a cached attachment is
 * still alive: shared so both commands call the same thing stale.
 */
import { existsSync, readdirSync } from "node:fs";
import { resolve, sep } from "node:path";
import { goField } from "../cni/index.ts";
import { DiskStore } from "../ipam/index.ts";
import type { CachedAttachment, NetworkList } from "../runtime/index.ts";

/** The host-local IPAM sections of a network's chain (a plugin's `ipam`, or host-local itself). */
export function hostLocalSections(list: NetworkList): Record<string, unknown>[] {
  const sections: Record<string, unknown>[] = [];
  for (const p of list.plugins) {
    const ipam = goField(p.raw, "ipam");
    const isHostLocal = p.type === "host-local";
    const ipamObj = typeof ipam === "object" && ipam !== null ? (ipam as Record<string, unknown>) : undefined;
    const section = isHostLocal ? (ipamObj ?? p.raw) : ipamObj;
    if (section === undefined) continue;
    if (!isHostLocal && goField(section, "type") !== "host-local") continue;
    sections.push(section);
  }
  return sections;
}

/**
 * The host-local stores a network's chain uses, one per data dir, opened without creating
 * anything: a network that never ran has no reservations, and looking leaves no trace.
 */
export function hostLocalStores(list: NetworkList): DiskStore[] {
  const stores = new Map<string, DiskStore>();
  for (const section of hostLocalSections(list)) {
    const dataDir = goField(section, "dataDir");
    const store = new DiskStore(typeof dataDir === "string" ? dataDir : "", list.name, { create: false });
    if (!stores.has(store.dir)) stores.set(store.dir, store);
  }
  return [...stores.values()];
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A cached attachment's netns still exists (inside `netnsDir` when it points there). */
export function netnsAlive(a: CachedAttachment, netnsDir: string): boolean {
  if (a.netns === "") return false;
  const p = resolve(a.netns);
  const base = resolve(netnsDir);
  // Under the runtime's netns dir the name must still be listed there; elsewhere it must exist.
  if (p.startsWith(base + sep)) return readdirSafe(base).includes(p.slice(base.length + 1));
  return existsSync(p);
}

/** Whether a network's chain has a plugin of this type (portmap rules exist only then). */
export function usesPlugin(list: NetworkList, type: string): boolean {
  return list.plugins.some((p) => p.type === type);
}
