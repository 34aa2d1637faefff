/**
 * `tscni install` as a transaction: every check first (the new binary's checksum, foreign files,
 * the new binary answering VERSION from where it will live), then only renames. A plugin name is
 * never missing: each one is replaced by rename(2) of a file staged beside it, and a foreign file
 * is hard-linked into the backup dir before the rename takes its name.
 */
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { anyPlugin, checkIntegrity, checksumLine, probeBinary, sha256File } from "./integrity.ts";
import { backupEntry, sameInode, saveBackup } from "./install-backup.ts";
import { type Caller, forceHint } from "./install-caller.ts";
import { BINARY_NAME, classify, emptyManifest, layout, type Layout, type Manifest, readManifest, writeFileAtomic, writeManifest } from "./install-state.ts";

export { BINARY_NAME } from "./install-state.ts";

export interface InstallOptions {
  dir: string;
  /** The compiled binary to install (normally process.execPath). */
  source: string;
  plugins: readonly string[];
  force: boolean;
  dryRun: boolean;
  caller: Caller;
  log: (line: string) => void;
}

type BinaryStep = "install" | "upgrade" | "keep";

export interface InstallPlan {
  l: Layout;
  manifest: Manifest;
  digest: string;
  binary: BinaryStep;
  /** plugin name → what happens to it. */
  links: { name: string; state: "missing" | "foreign" | "resume" }[];
  kept: string[];
}

/** Every check that needs no change on disk. Throws with the reason when install must not run. */
export function planInstall(o: InstallOptions): InstallPlan {
  const l = layout(o.dir);
  const integrity = checkIntegrity(o.source);
  if (!integrity.ok) throw new Error(`refusing to install: ${integrity.detail}`);
  const manifest = readManifest(l) ?? emptyManifest(!existsSync(o.dir));
  let binary: BinaryStep = "install";
  if (existsSync(l.binary)) binary = sha256File(l.binary) === integrity.digest ? "keep" : "upgrade";
  const links: InstallPlan["links"] = [];
  const kept: string[] = [];
  const foreign: string[] = [];
  for (const name of o.plugins) {
    const path = join(o.dir, name);
    const state = classify(path);
    if (state === "ours") kept.push(name);
    else if (state === "missing") links.push({ name, state });
    else if (manifest.backups.some((b) => b.name === name)) {
      // A backup of this name exists: only an interrupted install may continue (same inode).
      if (!sameInode(path, join(l.backup, name))) {
        throw new Error(`${path} is not a tscni link and ${join(l.backup, name)} already holds an earlier file of that name; move one of them yourself`);
      }
      links.push({ name, state: "resume" });
    } else {
      foreign.push(path);
      links.push({ name, state });
    }
  }
  if (foreign.length > 0 && !o.force) {
    throw new Error(
      `${foreign.join(", ")} ${foreign.length === 1 ? "exists and is" : "exist and are"} not tscni; ${forceHint(o.caller, "replace", foreign.length > 1)} ` +
        `(replaced files are kept in ${l.backup} and put back by uninstall)`,
    );
  }
  return { l, manifest, digest: integrity.digest, binary, links, kept };
}

/** Copies the new binary next to its final name and proves it runs from there. */
async function stageBinary(o: InstallOptions, plan: InstallPlan): Promise<string> {
  const staged = join(o.dir, `.${BINARY_NAME}-new-${process.pid}`);
  copyFileSync(o.source, staged);
  chmodSync(staged, 0o755);
  const failure = (detail: string): Error => {
    rmSync(staged, { force: true });
    return new Error(`refusing to install: the staged copy ${detail}`);
  };
  if (sha256File(staged) !== plan.digest) throw failure(`${staged} differs from ${o.source} (disk full?)`);
  const probe = await probeBinary(staged, anyPlugin(o.plugins));
  if (!probe.ok) throw failure(`does not run from ${o.dir} (noexec mount?): ${probe.detail}`);
  return staged;
}

function replaceBinary(plan: InstallPlan, staged: string): void {
  const { l } = plan;
  if (plan.binary === "upgrade") {
    // Keep the running version for --rollback: a hard link, so the name `tscni` never goes away.
    mkdirSync(join(l.state, "previous"), { recursive: true });
    const tmp = `${l.previous}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    saveBackup(l.binary, tmp);
    renameSync(tmp, l.previous);
    if (existsSync(l.checksum)) writeFileAtomic(l.previousChecksum, readFileSync(l.checksum, "utf8"));
    else writeFileAtomic(l.previousChecksum, checksumLine(sha256File(l.previous), BINARY_NAME));
  }
  writeFileAtomic(l.checksum, checksumLine(plan.digest, BINARY_NAME));
  renameSync(staged, l.binary);
}

function linkName(plan: InstallPlan, name: string, state: InstallPlan["links"][number]["state"]): void {
  const { l } = plan;
  const path = join(l.dir, name);
  const tmp = join(l.dir, `.${name}.tscni-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(BINARY_NAME, tmp);
  if (state === "foreign") {
    mkdirSync(l.backup, { recursive: true });
    const entry = backupEntry(path, name);
    rmSync(join(l.backup, name), { force: true });
    saveBackup(path, join(l.backup, name));
    // The manifest names the backup before the name changes hands: an interrupted run resumes.
    plan.manifest.backups.push(entry);
    writeManifest(l, plan.manifest);
  }
  renameSync(tmp, path);
}

/** Runs the plan: binary first (links then resolve to it), then each name by one rename. */
export async function install(o: InstallOptions): Promise<InstallPlan> {
  const plan = planInstall(o);
  const would = o.dryRun ? "would " : "";
  const { l } = plan;
  if (o.dryRun) {
    const probe = await probeBinary(o.source, anyPlugin(o.plugins));
    if (!probe.ok) throw new Error(`refusing to install: ${probe.detail}`);
  }
  if (plan.manifest.createdDir && !existsSync(o.dir)) {
    o.log(`${would}create ${o.dir}`);
    if (!o.dryRun) mkdirSync(o.dir, { recursive: true, mode: 0o755 });
  }
  let staged: string | undefined;
  if (plan.binary !== "keep" && !o.dryRun) {
    try {
      staged = await stageBinary(o, plan);
    } catch (e) {
      if (plan.manifest.createdDir) rmSync(o.dir, { recursive: true, force: true });
      throw e;
    }
  }
  if (!o.dryRun) {
    mkdirSync(l.state, { recursive: true, mode: 0o755 });
    writeManifest(l, plan.manifest);
  }
  const verb = { install: "install", upgrade: "upgrade", keep: "keep" }[plan.binary];
  o.log(`${plan.binary === "keep" ? "" : would}${verb} ${l.binary}${plan.binary === "keep" ? " (same checksum)" : ` from ${o.source}`}`);
  if (staged !== undefined) replaceBinary(plan, staged);
  if (plan.binary === "upgrade") o.log(`${would}keep the previous binary as ${l.previous} (tscni install --rollback)`);
  for (const name of plan.kept) o.log(`keep ${join(o.dir, name)} -> ${BINARY_NAME}`);
  for (const { name, state } of plan.links) {
    const path = join(o.dir, name);
    if (state === "foreign") o.log(`${would}back up ${path} to ${join(l.backup, name)}`);
    o.log(`${would}link ${path} -> ${BINARY_NAME}`);
    if (!o.dryRun) linkName(plan, name, state);
  }
  if (!o.dryRun) writeManifest(l, plan.manifest);
  return plan;
}

/** Runs the installed copy through a plugin link, as a runtime would, and checks its VERSION. */
export async function verifyInstalled(dir: string, plugin: string): Promise<void> {
  const probe = await probeBinary(join(dir, plugin), plugin);
  if (!probe.ok) throw new Error(`installed ${join(dir, plugin)} did not answer VERSION: ${probe.detail}`);
}

/** True when the dir holds tscni's binary (a regular file). */
export const hasBinary = (dir: string): boolean => {
  try {
    return lstatSync(join(dir, BINARY_NAME)).isFile();
  } catch {
    return false;
  }
};
