/**
 * `tscni install`: the one installer (make install calls it). Copies the running binary into the
 * bin dir atomically, points the plugin names at it, and never clobbers a foreign file unless told.
 */
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

export const BINARY_NAME = "tscni";

export interface InstallOptions {
  dir: string;
  /** The compiled binary to install (normally process.execPath). */
  source: string;
  plugins: readonly string[];
  force: boolean;
  dryRun: boolean;
  log: (line: string) => void;
  /** Defaults to a timestamp; injected by tests. */
  suffix?: string;
}

type Entry = "missing" | "ours" | "foreign";

function classify(path: string): Entry {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return "missing";
  }
  if (st.isSymbolicLink() && readlinkSync(path) === BINARY_NAME) return "ours";
  return "foreign";
}

export function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
}

/** Replaces `path` with a symlink to tscni without a moment where the name is missing. */
function linkAtomically(dir: string, name: string): void {
  const tmp = join(dir, `.${name}.tscni-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(BINARY_NAME, tmp);
  renameSync(tmp, join(dir, name));
}

export function install(o: InstallOptions): void {
  const act = (line: string, fn: () => void): void => {
    o.log(`${o.dryRun ? "would " : ""}${line}`);
    if (!o.dryRun) fn();
  };
  const foreign = o.plugins.filter((p) => classify(join(o.dir, p)) === "foreign");
  if (foreign.length > 0 && !o.force) {
    throw new Error(
      `${foreign.map((p) => join(o.dir, p)).join(", ")} exist and are not tscni links; use --force to move them aside`,
    );
  }
  if (!existsSync(o.dir)) act(`create ${o.dir}`, () => mkdirSync(o.dir, { recursive: true, mode: 0o755 }));
  const target = join(o.dir, BINARY_NAME);
  const tmp = join(o.dir, `.${BINARY_NAME}.tmp-${process.pid}`);
  act(`install ${o.source} as ${target}`, () => {
    copyFileSync(o.source, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, target);
  });
  const suffix = o.suffix ?? stamp();
  for (const p of o.plugins) {
    const path = join(o.dir, p);
    const state = classify(path);
    if (state === "foreign") act(`move ${path} aside to ${path}.${suffix}`, () => renameSync(path, `${path}.${suffix}`));
    if (state === "ours") {
      o.log(`keep ${path} -> ${BINARY_NAME}`);
      continue;
    }
    act(`link ${path} -> ${BINARY_NAME}`, () => linkAtomically(o.dir, p));
  }
}

/** Removes only what install created: tscni itself and plugin links that point at it. */
export function uninstall(o: Pick<InstallOptions, "dir" | "plugins" | "dryRun" | "log">): void {
  const act = (line: string, fn: () => void): void => {
    o.log(`${o.dryRun ? "would " : ""}${line}`);
    if (!o.dryRun) fn();
  };
  for (const p of o.plugins) {
    const path = join(o.dir, p);
    if (classify(path) === "ours") act(`remove ${path}`, () => rmSync(path));
  }
  const target = join(o.dir, BINARY_NAME);
  if (existsSync(target)) act(`remove ${target}`, () => rmSync(target));
}

/** Runs the installed copy through a plugin link, as a runtime would, and checks its VERSION. */
export async function verifyInstalled(dir: string, plugin: string): Promise<void> {
  const proc = Bun.spawn([join(dir, plugin)], {
    env: { CNI_COMMAND: "VERSION" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  let versions: unknown;
  try {
    versions = (JSON.parse(out) as { supportedVersions?: unknown }).supportedVersions;
  } catch {
    versions = undefined;
  }
  if (code !== 0 || !Array.isArray(versions)) {
    throw new Error(`installed ${join(dir, plugin)} did not answer VERSION (exit ${code}): ${out}`);
  }
}
