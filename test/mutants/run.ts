/**
 * `make test-mutants`: does the suite notice a broken product? Copies the tree (tracked and new
 * files, node_modules linked, ../shared linked beside it) to a temp dir, checks that every
 * targeted test file passes there unchanged, then per mutant (mutants.ts): applies the one
 * breakage, builds dist/, runs only that mutant's test files through test/run.ts, and restores
 * the file. A mutant is killed when its tests fail; one that does not build or whose text is gone
 * (stale) is not. Ends with "N/N mutants killed"; exits non-zero unless every mutant was killed.
 *
 *   bun test/mutants/run.ts [name filter …]
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { MUTANTS, type Mutant } from "./mutants.ts";

const root = resolve(import.meta.dir, "..", "..");
const bun = process.execPath;

interface Ran {
  code: number;
  output: string;
}

async function run(argv: string[], cwd: string): Promise<Ran> {
  const p = Bun.spawn(argv, { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, TSCNI_ISOLATED: undefined } });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, output: out + err };
}

/** The tree as git sees it (tracked and untracked, ignored files left out) in `dir`/repo. */
function copyTree(dir: string): string {
  const repo = join(dir, "repo");
  const listed = Bun.spawnSync(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root });
  if (listed.exitCode !== 0) throw new Error(`git ls-files: ${listed.stderr.toString()}`);
  for (const f of listed.stdout.toString().split("\0").filter((x) => x !== "")) {
    mkdirSync(dirname(join(repo, f)), { recursive: true });
    try {
      cpSync(join(root, f), join(repo, f), { verbatimSymlinks: true });
    } catch {
      // listed by the index but deleted in the work tree
    }
  }
  symlinkSync(join(root, "node_modules"), join(repo, "node_modules"));
  symlinkSync(realpathSync(join(root, "..", "shared")), join(dir, "shared"));
  return repo;
}

const lastLines = (text: string, n: number): string => text.trimEnd().split("\n").slice(-n).join("\n");

async function build(repo: string): Promise<Ran> {
  return run([bun, "build/compile.ts"], repo);
}

async function tryMutant(repo: string, m: Mutant): Promise<"killed" | "survived" | "stale" | "no build"> {
  const path = join(repo, m.file);
  const original = readFileSync(path, "utf8");
  if (original.split(m.find).length !== 2) return "stale";
  writeFileSync(path, original.replace(m.find, m.replace));
  try {
    if ((await build(repo)).code !== 0) return "no build";
    const r = await run([bun, "test/run.ts", ...m.tests], repo);
    return r.code !== 0 ? "killed" : "survived";
  } finally {
    writeFileSync(path, original);
  }
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const chosen = MUTANTS.filter((m) => filters.length === 0 || filters.some((f) => m.name.includes(f)));
  const dir = mkdtempSync(join(tmpdir(), "tscni-mutants-"));
  try {
    const repo = copyTree(dir);
    const built = await build(repo);
    if (built.code !== 0) {
      console.log(`the unmutated copy does not build:\n${lastLines(built.output, 20)}`);
      return 1;
    }
    const targeted = [...new Set(chosen.flatMap((m) => m.tests))].sort();
    const baseline = await run([bun, "test/run.ts", ...targeted], repo);
    if (baseline.code !== 0) {
      console.log(`the targeted tests fail on the unmutated copy, so no mutant can be judged:\n${lastLines(baseline.output, 30)}`);
      return 1;
    }
    console.log(`baseline: ${targeted.length} targeted test files pass unmutated (${lastLines(baseline.output, 1)})`);
    let killed = 0;
    for (const m of chosen) {
      const t0 = performance.now();
      const verdict = await tryMutant(repo, m);
      if (verdict === "killed") killed++;
      console.log(`${verdict === "killed" ? "killed  " : verdict.toUpperCase().padEnd(8)} ${m.name}  [${m.tests.join(" ")}] ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    console.log(`${killed}/${chosen.length} mutants killed`);
    return killed === chosen.length ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(await main());
