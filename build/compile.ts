/**
 * Compiles plugins/main.ts into the single multicall binary and links the plugin names to it.
 * The binary runs as root from any cwd, so every autoload of cwd files is off. Beside the binary
 * goes `<binary>.sha256`: `tscni install` and `tscni doctor` refuse or report a binary that no
 * longer matches it (strip removes the embedded program but leaves a runnable Bun).
 *
 *   bun build/compile.ts                                  → dist/tscni (host target)
 *   bun build/compile.ts --target bun-linux-arm64 --executable-path X --outfile dist/release/…/tscni
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { PLUGIN_NAMES } from "../plugins/registry.ts";
import { checksumLine, checksumPath, sha256File } from "../src/cli/integrity.ts";

const root = join(import.meta.dir, "..");

function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: root, stderr: "ignore" });
  if (r.exitCode !== 0) return "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { cwd: root, stderr: "ignore" });
  return r.stdout.toString().trim() + (dirty.stdout.toString().trim() === "" ? "" : "-dirty");
}

/** `bun build --target` name of the Bun that runs this script (glibc: the build host is Debian). */
const hostTarget = (): string => `bun-linux-${process.arch === "arm64" ? "arm64" : "x64"}`;

const { values } = parseArgs({
  options: {
    outfile: { type: "string", default: join(root, "dist", "tscni") },
    target: { type: "string" },
    "executable-path": { type: "string" },
    // Tests build a second, different binary to exercise upgrade and rollback.
    version: { type: "string", default: pkg.version },
  },
});
const outfile = resolve(values.outfile);
const dir = dirname(outfile);
mkdirSync(dir, { recursive: true });
const argv = [
  process.execPath,
  "build",
  "--compile",
  "--minify",
  "--bytecode",
  // ESM chunks: a plugin exec deserialises only the code it imports (about 1-2 ms less start-up
  // than one CommonJS bundle, measured on the compiled binary).
  "--format=esm",
  "--splitting",
  // A plugin exec is ~10 ms of run-once code: 10x JSC's tier-up thresholds keeps it in the
  // interpreter instead of JIT-compiling it (about 10 % less CPU and 1-3 MiB less peak RSS per
  // loopback ADD, measured; docs/performance.md). The CLI resets the policy to 1 at its entry.
  "--compile-jit-policy=10",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-tsconfig",
  "--no-compile-autoload-package-json",
  `--define=TSCNI_VERSION=${JSON.stringify(values.version)}`,
  `--define=TSCNI_COMMIT=${JSON.stringify(gitCommit())}`,
  // Each binary says which target it was built for (`tscni version`): the release's x64 and
  // x64-baseline runtimes are the same bytes since Bun 1.4, so only this tells them apart.
  `--define=TSCNI_TARGET=${JSON.stringify(values.target ?? hostTarget())}`,
  ...(values.target !== undefined ? [`--target=${values.target}`] : []),
  // Cross targets: the Bun runtime of the other platform, unpacked from the npm registry by
  // build/bun-runtime.ts (never downloaded by bun itself from elsewhere).
  ...(values["executable-path"] !== undefined ? [`--compile-executable-path=${values["executable-path"]}`] : []),
  "--outfile",
  outfile,
  join(root, "plugins/main.ts"),
];
const r = Bun.spawnSync(argv, { cwd: root, stdout: "inherit", stderr: "inherit" });
if (r.exitCode !== 0) process.exit(r.exitCode ?? 1);
writeFileSync(checksumPath(outfile), checksumLine(sha256File(outfile), basename(outfile)));

for (const p of PLUGIN_NAMES) {
  const link = join(dir, p);
  rmSync(link, { force: true });
  symlinkSync(basename(outfile), link);
}
console.log(`built ${outfile} (+ ${basename(checksumPath(outfile))}, ${PLUGIN_NAMES.join(", ")} links)`);
