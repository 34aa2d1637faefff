/**
 * Where `tscni gc` and `tscni doctor` find host-local state and whether a cached attachment is
 * still alive: shared so both commands call the same thing stale.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { goField } from "../cni/index.ts";
import { DEFAULT_DATA_DIR, isBookkeeping, networkDir, parseReservation, type Reservation } from "../ipam/index.ts";
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

/** The reservation dir of a host-local section of network `name`. */
export function sectionDir(section: Record<string, unknown>, name: string): string {
  const dataDir = goField(section, "dataDir");
  return networkDir(typeof dataDir === "string" && dataDir !== "" ? dataDir : DEFAULT_DATA_DIR, name);
}

/** Where a network's host-local reservations live, if its chain uses host-local. */
export function hostLocalDirs(list: NetworkList): string[] {
  return [...new Set(hostLocalSections(list).map((s) => sectionDir(s, list.name)))];
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

export interface ReservationFile {
  readonly r: Reservation;
  readonly mtimeMs: number;
  readonly path: string;
}

/** The reservations of one host-local network dir, sorted by file name. */
export function readReservations(dir: string): ReservationFile[] {
  const out: ReservationFile[] = [];
  for (const name of readdirSafe(dir).sort()) {
    if (isBookkeeping(name)) continue;
    const path = join(dir, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      out.push({ r: parseReservation(name, readFileSync(path, "utf8")), mtimeMs: st.mtimeMs, path });
    } catch {
      // vanished meanwhile: a DEL freed it
    }
  }
  return out;
}

/** Whether a network's chain has a plugin of this type (portmap rules exist only then). */
export function usesPlugin(list: NetworkList, type: string): boolean {
  return list.plugins.some((p) => p.type === type);
}
