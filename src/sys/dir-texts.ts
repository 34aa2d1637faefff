import type { Pointer } from "bun:ffi";
import { CString, read } from "./ffi.ts";
import {
  cPath,
  type DirEntry,
  DT_REG,
  errno,
  FileError,
  lib,
  O_CLOEXEC,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  readOpenedRegular,
} from "./files.ts";

/**
 * One directory's entries with the text of its regular files, for a walk that reads every file of
 * a directory (host-local's by-owner lookup reads one file per pod on the node): each file opened
 * relative to the directory by the listing's own name bytes (`openat`), so no path is built,
 * encoded or looked up again per file, and no name is decoded unless the caller asks for it.
 * Measured per file in a compiled program: the path's concatenation and encoding were ~2.7 k of
 * ~10 k instructions (docs/performance.md).
 */

/** `entry` of a scan: valid only inside the `visit` call it was given to (libc reuses the buffer). */
export type ScanEntry = number;

/**
 * What a walk over many files may skip without a call per file (ownedBy's: the scan's per-file
 * cost is mostly calls in the interpreter; docs/performance.md).
 */
export interface ScanHints {
  /** `wanted` is asked only about names that start with this byte; every other regular file is read. */
  askFirst: number;
  /** readOpenedRegular's `lead` (leadWord's, 0 for none): a file it rules out is not visited at all. */
  lead: number;
}

const ASK_ALL: ScanHints = { askFirst: -1, lead: 0 };
const SCAN_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

/**
 * Calls `visit` for each entry of `dir` but `.` and `..`, in the kernel's order, with its d_type
 * and, for a regular file (DT_REG) that `wanted` accepts (given the name's first byte too), its text as readRegularText reads it
 * (undefined when it cannot be opened, stat'ed or read, or is no longer a regular file: the same
 * O_NOFOLLOW | O_NONBLOCK open and fstat guard), but for what `hints` lets it skip. Throws a
 * FileError when `dir` cannot be listed.
 */
export function scanDirTexts(
  dir: string,
  wanted: (entry: ScanEntry, firstByte: number) => boolean,
  visit: (entry: ScanEntry, type: number, text: string | undefined) => void,
  hints: ScanHints = ASK_ALL,
): void {
  const askFirst = hints.askFirst;
  const lead = hints.lead;
  const l = lib();
  const d = l.opendir(cPath(dir, "scandir"));
  if (d === null) throw new FileError(errno(l), "scandir", dir);
  try {
    const dfd = l.dirfd(d);
    for (let next = l.readdir64(d); next !== null; next = l.readdir64(d)) {
      const e = next as Pointer;
      // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), then d_name.
      // d_type and the name's first byte in one read (little-endian: d_type is the low byte).
      const typeAndFirst = read.u16(e, 18);
      const first = typeAndFirst >> 8;
      if (first === 0x2e && isDotName(e)) continue;
      const type = typeAndFirst & 0xff;
      let text: string | undefined;
      if (type === DT_REG && ((askFirst >= 0 && first !== askFirst) || wanted(e, first))) {
        const fd = l.openat(dfd, (e + 19) as Pointer, SCAN_FLAGS, 0);
        if (fd >= 0) {
          const got = readOpenedRegular(l, fd, lead);
          if (got === null) continue; // ruled out by the lead
          text = got;
        }
      }
      visit(e, type, text);
    }
  } finally {
    l.closedir(d);
  }
}

/** The entry's name (a decode: ask only for the entries you keep). */
export function entryName(entry: ScanEntry): string {
  return new CString(entry as Pointer, 19).toString();
}

/** `.` or `..`, the first byte already known to be a dot. */
function isDotName(e: Pointer): boolean {
  const second = read.u8(e, 20);
  return second === 0 || (second === 0x2e && read.u8(e, 21) === 0);
}

/**
 * The `lead` of readOpenedRegular for texts that begin with `text`'s first four characters, or 0
 * (no lead) when it has fewer or one of them is not ASCII.
 */
export function leadWord(text: string): number {
  if (text.length < 4) return 0;
  let word = 0;
  for (let i = 3; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return 0;
    word = word * 256 + c;
  }
  return word;
}

/** Names in a directory, without `.` and `..`, in the order the kernel gives them. */
export function listDir(path: string): string[] {
  const names: string[] = [];
  for (const e of listDirTyped(path)) names.push(e.name);
  return names;
}

/** listDir with each entry's type, so a caller walking many files need not stat each one. */
export function listDirTyped(path: string): DirEntry[] {
  const l = lib();
  const dir = l.opendir(cPath(path, "scandir"));
  if (dir === null) throw new FileError(errno(l), "scandir", path);
  const out: DirEntry[] = [];
  try {
    for (let e = l.readdir64(dir); e !== null; e = l.readdir64(dir)) {
      // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), then d_name.
      const name = new CString(e as Pointer, 19).toString();
      if (name !== "." && name !== "..") out.push({ name, type: read.u8(e as Pointer, 18) });
    }
  } finally {
    l.closedir(dir);
  }
  return out;
}
