/**
 * `make release`: per-target tarballs (binary, checksum, plugin links, LICENSE, INSTALL), the two
 * .debs, the multi-arch OCI image archive and SHA256SUMS over all of them, in dist/release/. Cross targets
 * are compiled onto Bun runtimes from the npm registry (build/bun-runtime.ts). Every timestamp is
 * SOURCE_DATE_EPOCH (default: the commit's time), so the same commit builds the same bytes.
 *
 *   bun build/release.ts [--out DIR] [--cache DIR] [--no-image | --image-only]
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { checksumLine, sha256File } from "../src/cli/integrity.ts";
import { bunRuntime, TARGETS, type Target } from "./bun-runtime.ts";
import { buildDeb } from "./deb.ts";
import { buildImage } from "./image.ts";
import { reproducibleTarFlags, runOrThrow } from "./run.ts";

const root = resolve(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(root, "dist/release") },
    cache: { type: "string", default: join(root, "dist/cache") },
    "no-image": { type: "boolean" },
    "image-only": { type: "boolean" },
  },
});
const outDir = resolve(values.out);
const cache = resolve(values.cache);
const work = join(outDir, ".work");
const version = pkg.version;

function commitEpoch(): number {
  const r = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: root, stderr: "ignore" });
  const n = Number(r.stdout.toString().trim());
  return r.exitCode === 0 && Number.isInteger(n) && n > 0 ? n : 0;
}
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? commitEpoch());

function run(argv: string[], opts: { cwd?: string } = {}): void {
  runOrThrow(argv, { cwd: opts.cwd ?? root, env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) } });
}

/** Compiles `t` into <work>/<name>/ with its links, LICENSE and INSTALL; returns that dir. */
function stage(t: Target): string {
  const name = `tscni-${version}-${t.name}`;
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  const runtime = bunRuntime(t, join(cache, "bun-runtimes"));
  run([process.execPath, join(root, "build/compile.ts"), "--target", t.bunTarget, "--executable-path", runtime, "--outfile", join(dir, "tscni")]);
  copyFileSync(join(root, "LICENSE"), join(dir, "LICENSE"));
  const install = readFileSync(join(root, "build/INSTALL.txt"), "utf8").replaceAll("@VERSION@", version).replaceAll("@TARGET@", t.name).replaceAll("@NEEDS@", t.needs);
  writeFileSync(join(dir, "INSTALL"), install);
  for (const f of ["LICENSE", "INSTALL", "tscni.sha256"]) chmodSync(join(dir, f), 0o644);
  return dir;
}

/** A tarball whose bytes depend only on the files: sorted, numeric root owner, fixed mtimes. */
function tarball(dir: string, name: string): string {
  const when = new Date(epoch * 1000);
  for (const f of readdirSync(dir)) if (!statSync(join(dir, f), { throwIfNoEntry: false })?.isSymbolicLink()) utimesSync(join(dir, f), when, when);
  const out = `${name}.tar.gz`;
  const tar = join(outDir, `${name}.tar`);
  run(["tar", ...reproducibleTarFlags(epoch), "-C", work, "-cf", tar, name]);
  run(["gzip", "-n", "-f", tar]);
  return out;
}

mkdirSync(outDir, { recursive: true });
/** The image's variants: the .debs' builds (amd64: baseline). */
const IMAGE_TARGETS = { amd64: "linux-x64-baseline", arm64: "linux-arm64" } as const;
const target = (name: string): Target => {
  const t = TARGETS.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no target ${name}`);
  return t;
};
const image = (dirOf: (t: Target) => string): string =>
  buildImage({
    binaries: { amd64: join(dirOf(target(IMAGE_TARGETS.amd64)), "tscni"), arm64: join(dirOf(target(IMAGE_TARGETS.arm64)), "tscni") },
    version,
    outDir,
    workDir: work,
    storage: join(cache, "podman"),
    epoch,
  });
if (values["image-only"] === true) {
  console.log(image(stage));
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
for (const f of readdirSync(outDir)) if (f !== ".work") rmSync(join(outDir, f), { recursive: true, force: true });
const artefacts: string[] = [];
const staged = new Map<string, string>();
for (const t of TARGETS) {
  const dir = stage(t);
  staged.set(t.name, dir);
  artefacts.push(tarball(dir, `tscni-${version}-${t.name}`));
  if (t.debArch !== undefined) artefacts.push(buildDeb({ binary: join(dir, "tscni"), version, arch: t.debArch, outDir, workDir: work, epoch }));
}
if (values["no-image"] !== true) {
  artefacts.push(image((t) => staged.get(t.name) ?? stage(t)).slice(outDir.length + 1));
}
rmSync(work, { recursive: true, force: true });
const sums = artefacts.sort().map((a) => checksumLine(sha256File(join(outDir, a)), a)).join("");
writeFileSync(join(outDir, "SHA256SUMS"), sums);
console.log(`${outDir}:\n${sums}`);
