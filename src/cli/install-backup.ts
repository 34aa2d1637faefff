/**
 * Keeping a file that install replaces, exactly as it was. A hard link shares the inode, so the
 * bytes, mode, owner and times are the original's and uninstall's rename puts back the very same
 * file; a symlink is recreated with its target. Only a filesystem without hard links gets a copy.
 */
import { chmodSync, copyFileSync, linkSync, lstatSync, readlinkSync, statSync, symlinkSync, utimesSync } from "node:fs";
import { sha256File } from "./integrity.ts";
import type { BackupEntry } from "./install-state.ts";

export function backupEntry(path: string, name: string): BackupEntry {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return { name, kind: "symlink", target: readlinkSync(path), mode: st.mode & 0o7777 };
  if (!st.isFile()) throw new Error(`${path} is neither a file nor a symlink; move it yourself`);
  return { name, kind: "file", sha256: sha256File(path), mode: st.mode & 0o7777 };
}

/** Saves `from` as `to` (same filesystem) without touching `from`. */
export function saveBackup(from: string, to: string): void {
  const st = lstatSync(from);
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), to);
    return;
  }
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
    chmodSync(to, st.mode & 0o7777);
    utimesSync(to, st.atime, st.mtime);
  }
}

export function sameInode(a: string, b: string): boolean {
  try {
    const x = lstatSync(a);
    const y = lstatSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/** Does the backup still hold what the manifest recorded? */
export function backupIntact(path: string, e: BackupEntry): boolean {
  try {
    if (e.kind === "symlink") return lstatSync(path).isSymbolicLink() && readlinkSync(path) === e.target;
    return statSync(path).isFile() && sha256File(path) === e.sha256;
  } catch {
    return false;
  }
}
