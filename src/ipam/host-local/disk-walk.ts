/**
 * The walk over a network directory that every by-owner lookup makes: regular files in lexical
 * order, recursively like the reference's filepath.Walk, never the bookkeeping files at the top
 * and never through a symlink. `ownedBy` reads each file once and sorts what it finds, so one
 * verb lists and reads the directory once, however many things it asks of it.
 */
import { childPath as join, DT_DIR, DT_REG, DT_UNKNOWN, type DirEntry, pathInfo, readRegularText } from "../../sys/index.ts";
import { isBookkeeping, isScratchName, ownerText } from "./disk-format.ts";
import { goTrim } from "./go-text.ts";

export interface Entry {
  /** File name (the IP text for reservations). */
  name: string;
  path: string;
  /** Whether it sits directly in the network directory. */
  topLevel: boolean;
  /** Only from a walk with times. */
  mtimeMs: number | undefined;
}

/** Lists one directory (the store's seam: tests count the listings through it). */
export type ListDir = (dir: string) => DirEntry[];

export function walkTree(root: string, list: ListDir, withTimes: boolean): Entry[] {
  const out: Entry[] = [];
  const visit = (dir: string, topLevel: boolean): void => {
    let entries: DirEntry[];
    try {
      entries = list(dir).sort(byName);
    } catch {
      return;
    }
    for (const { name, type } of entries) {
      const path = join(dir, name);
      // The directory listing's type spares a stat per file (a network holds one file per pod);
      // a filesystem that does not say, or a caller that needs the times, still stats.
      const st = withTimes || type === DT_UNKNOWN ? pathInfo(path) : { isDirectory: type === DT_DIR, isFile: type === DT_REG, mtimeMs: undefined };
      if (st === undefined) continue;
      if (st.isDirectory) visit(path, false);
      else if (st.isFile && !(topLevel && isBookkeeping(name))) out.push({ name, path, topLevel, mtimeMs: st.mtimeMs });
    }
  };
  visit(root, true);
  return out;
}

function byName(a: DirEntry, b: DirEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** What one walk found of an attachment's, each list in walk order. */
export interface Owned {
  /** Files of (containerId, ifname). */
  exact: Entry[];
  /** Legacy files holding only the container ID. */
  legacy: Entry[];
  /** Both kinds, interleaved as walked (getByID's order). */
  either: Entry[];
  /** Scratch files a writer killed before writing its owner left empty: no owner matches them. */
  emptyScratch: Entry[];
}

/** Reads every file of `entries` once and sorts it by owner, comparing trimmed text like the reference. */
export function ownedBy(entries: readonly Entry[], containerId: string, ifname: string): Owned {
  const match = ownerText(containerId, ifname);
  const legacy = ownerText(containerId, undefined);
  const owned: Owned = { exact: [], legacy: [], either: [], emptyScratch: [] };
  for (const e of entries) {
    const content = readRegularText(e.path);
    if (content === undefined) continue;
    if (content === "") {
      if (e.topLevel && isScratchName(e.name)) owned.emptyScratch.push(e);
      continue;
    }
    const text = goTrim(content);
    if (text === match) owned.exact.push(e);
    else if (text === legacy) owned.legacy.push(e);
    else continue;
    owned.either.push(e);
  }
  return owned;
}
