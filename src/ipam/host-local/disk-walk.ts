/**
 * The walk over a network directory that every lookup makes: regular files, recursively like the
 * reference's filepath.Walk, never the bookkeeping files at the top and never through a symlink.
 * `ownedBy` reads each file once and sorts what it finds by owner, so one verb lists and reads
 * the directory once, however many things it asks of it.
 */
import {
  childPath as join,
  DT_DIR,
  DT_REG,
  DT_UNKNOWN,
  type DirEntry,
  entryName,
  FileError,
  leadWord,
  pathInfo,
  readRegularText,
  type ScanEntry,
  type ScanHints,
} from "../../sys/index.ts";
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

/**
 * Lists one directory reading its regular files as it goes: src/sys's scanDirTexts (the same seam).
 * Its FileError ("scandir", dir) when it cannot list `dir` skips that directory; anything else it or
 * a callback throws ends the walk and reaches the caller.
 */
export type ScanDir = (
  dir: string,
  wanted: (entry: ScanEntry, firstByte: number) => boolean,
  visit: (entry: ScanEntry, type: number, text: string | undefined) => void,
  hints?: ScanHints,
) => void;

type Visit = (name: string, path: string, topLevel: boolean, mtimeMs: number | undefined) => void;

/**
 * Calls `visit` for each file, each directory in lexical order: the reference's walk order. (A
 * by-owner lookup, ownedBy, skips that sort, JSC's `sort` being JS-written, a comparator call per
 * step: ~1.35 M instructions for 250 files, and orders its few matches itself.)
 */
function forEachFile(root: string, list: ListDir, withTimes: boolean, visit: Visit): void {
  const walkDir = (dir: string, topLevel: boolean): void => {
    let entries: DirEntry[];
    try {
      entries = list(dir);
    } catch {
      return;
    }
    entries.sort(byName);
    for (let i = 0; i < entries.length; i++) {
      const { name, type } = entries[i]!;
      const path = join(dir, name);
      // The directory listing's type spares a stat per file (a network holds one file per pod);
      // a filesystem that does not say, or a caller that needs the times, still stats.
      let isDir = type === DT_DIR;
      let isFile = type === DT_REG;
      let mtimeMs: number | undefined;
      if (withTimes || type === DT_UNKNOWN) {
        const st = pathInfo(path);
        if (st === undefined) continue;
        isDir = st.isDirectory;
        isFile = st.isFile;
        mtimeMs = st.mtimeMs;
      }
      if (isDir) walkDir(path, false);
      else if (isFile && !(topLevel && isBookkeeping(name))) visit(name, path, topLevel, mtimeMs);
    }
  };
  walkDir(root, true);
}

/** Every file in the reference's walk order (reservations, GC, STATUS, doctor). */
export function walkTree(root: string, list: ListDir, withTimes: boolean): Entry[] {
  const out: Entry[] = [];
  forEachFile(root, list, withTimes, (name, path, topLevel, mtimeMs) => void out.push({ name, path, topLevel, mtimeMs }));
  return out;
}

function byName(a: DirEntry, b: DirEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** What one walk found of an attachment's. */
export interface Owned {
  /** Files of (containerId, ifname). */
  exact: Entry[];
  /** Legacy files holding only the container ID. */
  legacy: Entry[];
  /** Both kinds, in the reference's walk order (getByID's order). */
  either: Entry[];
  /** Scratch files a writer killed before writing its owner left empty: no owner matches them. */
  emptyScratch: Entry[];
}

/**
 * Reads every file under `root` once and sorts it by owner, comparing trimmed text like the
 * reference. Each directory's files are read while it is listed, by the listing's name bytes
 * (`scan`); a name is decoded only for a file kept, and subdirectories are walked once their
 * parent's listing is done (the matches are put in walk order anyway).
 */
export function ownedBy(root: string, scan: ScanDir, containerId: string, ifname: string): Owned {
  const match = ownerText(containerId, ifname);
  const legacy = ownerText(containerId, undefined);
  const owned: Owned = { exact: [], legacy: [], either: [], emptyScratch: [] };
  // What `sort` keeps trims to `legacy` or starts with it, so the scan need not decode (nor show)
  // a file whose bytes rule that out; `wanted` only ever refuses names that start with an "l".
  const hints: ScanHints = { askFirst: 0x6c, lead: leadWord(legacy) };
  const sort = (name: string, dir: string, topLevel: boolean, content: string): void => {
    if (content === "") {
      if (topLevel && isScratchName(name)) owned.emptyScratch.push(entry(name, dir, topLevel));
      return;
    }
    const text = goTrim(content);
    if (text !== match && text !== legacy) return;
    const e = entry(name, dir, topLevel);
    (text === match ? owned.exact : owned.legacy).push(e);
    insertInWalkOrder(owned.either, e, root.length + 1);
  };
  const walkDir = (dir: string, topLevel: boolean): void => {
    const subdirs: string[] = [];
    // The bookkeeping files at the top are never read; every such name starts with an "l".
    const wanted = (e: ScanEntry, first: number): boolean => !topLevel || first !== 0x6c || !isBookkeeping(entryName(e));
    try {
      scan(dir, wanted, (e, type, content) => {
        if (type === DT_DIR) subdirs.push(entryName(e));
        else if (type === DT_REG) {
          if (content !== undefined && (content === "" || content.includes(legacy))) sort(entryName(e), dir, topLevel, content);
        } else if (type === DT_UNKNOWN) {
          // A filesystem that does not say: stat it, as walkTree does.
          const name = entryName(e);
          const st = pathInfo(join(dir, name));
          if (st?.isDirectory) subdirs.push(name);
          else if (st?.isFile && wanted(e, name.charCodeAt(0))) {
            const text = readRegularText(join(dir, name));
            if (text !== undefined) sort(name, dir, topLevel, text);
          }
        }
      }, hints);
    } catch (err) {
      // Only a directory that cannot be listed (gone, or no longer a directory) is skipped, as the
      // walk did before it scanned; what a file's read or a callback throws is the caller's.
      if (cannotList(err, dir)) return;
      throw err;
    }
    for (const sub of subdirs) walkDir(join(dir, sub), false);
  };
  walkDir(root, true);
  return owned;
}

/** The scan's own failure to open `dir` (scanDirTexts' FileError), before any callback ran. */
function cannotList(err: unknown, dir: string): boolean {
  return err instanceof FileError && err.syscall === "scandir" && err.path === dir;
}

function entry(name: string, dir: string, topLevel: boolean): Entry {
  return { name, path: join(dir, name), topLevel, mtimeMs: undefined };
}

/** Inserts `e` where the reference's walk would have met it (an attachment holds a file or two). */
function insertInWalkOrder(list: Entry[], e: Entry, rootLength: number): void {
  let at = list.length;
  if (at === 0) return void list.push(e);
  while (at > 0 && walkOrder(list[at - 1]!.path, e.path, rootLength) > 0) at--;
  list.splice(at, 0, e);
}

/**
 * The walk's order of two paths under one root: directory by directory, names compared as
 * strings (not the whole paths: "a/x" is walked before "a.b", though "/" sorts after ".").
 */
export function walkOrder(a: string, b: string, rootLength: number): number {
  const x = a.slice(rootLength).split("/");
  const y = b.slice(rootLength).split("/");
  for (let i = 0; i < x.length && i < y.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}
