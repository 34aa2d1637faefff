/**
 * What `tscni install` keeps in a CNI bin dir, besides the binary and the plugin links:
 *
 *   <dir>/tscni               the binary (plugin names are symlinks to it)
 *   <dir>/tscni.sha256        its checksum (sha256sum format)
 *   <dir>/.tscni/manifest.json  what install replaced, so --uninstall can put it back
 *   <dir>/.tscni/backup/<name>  each replaced foreign file (a hard link: same bytes, mode, times)
 *   <dir>/.tscni/previous/tscni(.sha256)  the binary before the last upgrade, for --rollback
 *
 * Everything lives inside the bin dir so every move is a rename(2) within one filesystem.
 */
import { existsSync, fsyncSync, lstatSync, openSync, closeSync, readFileSync, readlinkSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const BINARY_NAME = "tscni";
export const STATE_DIR = ".tscni";

export interface Layout {
  dir: string;
  binary: string;
  checksum: string;
  state: string;
  manifest: string;
  backup: string;
  previous: string;
  previousChecksum: string;
}

export function layout(dir: string): Layout {
  const state = join(dir, STATE_DIR);
  return {
    dir,
    binary: join(dir, BINARY_NAME),
    checksum: join(dir, `${BINARY_NAME}.sha256`),
    state,
    manifest: join(state, "manifest.json"),
    backup: join(state, "backup"),
    previous: join(state, "previous", BINARY_NAME),
    previousChecksum: join(state, "previous", `${BINARY_NAME}.sha256`),
  };
}

/** A foreign file install replaced: where it was and what it was. */
export interface BackupEntry {
  name: string;
  kind: "file" | "symlink";
  /** file: sha256 of its bytes; symlink: its target. */
  sha256?: string;
  target?: string;
  mode: number;
}

/** A foreign conflist install moved aside in the conf dir (another filesystem, maybe). */
export interface ConfBackupEntry {
  path: string;
  aside: string;
}

export interface Manifest {
  schemaVersion: 1;
  /** install created the bin dir: uninstall removes it again when it is empty. */
  createdDir: boolean;
  backups: BackupEntry[];
  confBackups: ConfBackupEntry[];
}

export const emptyManifest = (createdDir: boolean): Manifest => ({ schemaVersion: 1, createdDir, backups: [], confBackups: [] });

export function readManifest(l: Layout): Manifest | undefined {
  let text: string;
  try {
    text = readFileSync(l.manifest, "utf8");
  } catch {
    return undefined;
  }
  const m = JSON.parse(text) as Partial<Manifest>;
  if (m.schemaVersion !== 1 || !Array.isArray(m.backups)) throw new Error(`${l.manifest}: not a tscni install manifest`);
  return { schemaVersion: 1, createdDir: m.createdDir === true, backups: m.backups, confBackups: m.confBackups ?? [] };
}

/** Writes `path` through a temp file, fsync and rename: readers see the old or the new text. */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  const fd = openSync(tmp, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeManifest(l: Layout, m: Manifest): void {
  writeFileAtomic(l.manifest, `${JSON.stringify(m, null, 2)}\n`);
}

export type Entry = "missing" | "ours" | "foreign";

/** A plugin name: absent, a link to tscni (ours), or anything else (foreign). */
export function classify(path: string): Entry {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return "missing";
  }
  if (st.isSymbolicLink() && readlinkSync(path) === BINARY_NAME) return "ours";
  return "foreign";
}

export const isInstalled = (l: Layout): boolean => existsSync(l.binary);
