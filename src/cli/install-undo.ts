/**
 * `tscni install --uninstall` and `--rollback`. Uninstall puts every backed-up file back by
 * rename(2) over tscni's link (the name is never missing), removes only links that point at
 * tscni, then the binary and the state dir. Rollback swaps the binary with the previous one by
 * one rename; running it twice returns to where it started.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { backupIntact, saveBackup } from "./install-backup.ts";
import { anyPlugin, verifyBinary } from "./integrity.ts";
import { BINARY_NAME, classify, layout, readManifest, writeFileAtomic, writeManifest } from "./install-state.ts";

export interface UndoOptions {
  dir: string;
  plugins: readonly string[];
  dryRun: boolean;
  log: (line: string) => void;
  warn: (line: string) => void;
}

const isEmptyDir = (d: string): boolean => {
  try {
    return readdirSync(d).length === 0;
  } catch {
    return false;
  }
};

export function uninstall(o: UndoOptions): void {
  const l = layout(o.dir);
  const manifest = readManifest(l);
  const would = o.dryRun ? "would " : "";
  // Checks first: a backup that no longer holds what was saved is not restored over a working link.
  const left: string[] = [];
  for (const b of manifest?.backups ?? []) {
    if (!backupIntact(join(l.backup, b.name), b)) throw new Error(`${join(l.backup, b.name)} is missing or changed since install; nothing was changed`);
  }
  for (const name of o.plugins) {
    const path = join(o.dir, name);
    const state = classify(path);
    const backup = manifest?.backups.find((b) => b.name === name);
    if (state === "foreign") {
      o.log(`keep ${path} (not a tscni link)`);
      if (backup !== undefined) left.push(name);
      continue;
    }
    if (backup !== undefined) {
      o.log(`${would}restore ${path} from ${join(l.backup, name)}`);
      if (!o.dryRun) renameSync(join(l.backup, name), path);
    } else if (state === "ours") {
      o.log(`${would}remove ${path}`);
      if (!o.dryRun) rmSync(path);
    }
  }
  if (left.length > 0) {
    o.warn(`warning: ${left.map((n) => join(l.backup, n)).join(", ")} kept: their names now hold other files; ${l.binary} kept too`);
    if (!o.dryRun && manifest !== undefined) writeManifest(l, { ...manifest, backups: manifest.backups.filter((b) => left.includes(b.name)) });
    return;
  }
  for (const path of [l.binary, l.checksum]) {
    if (!existsSync(path)) continue;
    o.log(`${would}remove ${path}`);
    if (!o.dryRun) rmSync(path);
  }
  if (existsSync(l.state)) {
    o.log(`${would}remove ${l.state}`);
    if (!o.dryRun) rmSync(l.state, { recursive: true });
  }
  if (manifest?.createdDir === true && (o.dryRun || isEmptyDir(o.dir))) {
    o.log(`${would}remove ${o.dir} (install created it)`);
    if (!o.dryRun) rmdirSync(o.dir);
  }
}

/** Returns to the binary before the last upgrade; the current one becomes the "previous". */
export async function rollback(o: Omit<UndoOptions, "warn">): Promise<void> {
  const l = layout(o.dir);
  if (!existsSync(l.previous)) throw new Error(`${l.previous} does not exist: no earlier tscni to roll back to`);
  if (!existsSync(l.binary)) throw new Error(`${l.binary} does not exist: tscni is not installed in ${o.dir}`);
  const check = await verifyBinary(l.previous, anyPlugin(o.plugins));
  if (!check.ok) throw new Error(`refusing to roll back: ${check.detail}`);
  const would = o.dryRun ? "would " : "";
  o.log(`${would}roll back ${l.binary} to ${l.previous}; the current binary becomes the previous one`);
  if (o.dryRun) return;
  const currentSum = existsSync(l.checksum) ? readFileSync(l.checksum, "utf8") : undefined;
  const previousSum = readFileSync(l.previousChecksum, "utf8");
  const staged = join(o.dir, `.${BINARY_NAME}-rollback-${process.pid}`);
  const swap = `${l.previous}.swap-${process.pid}`;
  rmSync(staged, { force: true });
  rmSync(swap, { force: true });
  saveBackup(l.previous, staged);
  saveBackup(l.binary, swap);
  writeFileAtomic(l.checksum, previousSum);
  renameSync(staged, l.binary);
  renameSync(swap, l.previous);
  if (currentSum !== undefined) writeFileAtomic(l.previousChecksum, currentSum);
  else rmSync(l.previousChecksum, { force: true });
}
