/**
 * The test runner behind `make test`. Unit tests run in one `bun test` process. Every file under
 * test/netns and test/differential runs in its own throwaway host: a fresh network, mount and PID
 * namespace (unshare), so firewall and link state never leak between files or onto the machine,
 * and no process a test started outlives it.
 * Ends with the plain closing line "N passed, N failed[, N skipped]".
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { oracleProblems, VERIFIED_ENV } from "./differential/oracle-identity.ts";
import { THROWAWAY_HOST } from "./harness.ts";

const root = join(import.meta.dir, "..");
const bun = process.execPath;
const isolatedSuites = ["test/netns", "test/differential", "test/cluster"];
/** Slower node-variant scenarios: only when asked for by path (`make test-variants`). */
const onDemandSuites = ["test/variants"];

interface Outcome {
  label: string;
  code: number;
  output: string;
  pass: number;
  fail: number;
  skip: number;
}

function testFiles(dir: string): string[] {
  try {
    return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".test.ts"))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

function count(output: string, word: string): number {
  const m = new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(output);
  return m ? Number(m[1]) : 0;
}

/** A file (or the unit run) that has not ended by then has hung: it is killed and counts as failed. */
const RUN_LIMIT_S = Number(process.env.TSCNI_TEST_FILE_LIMIT_S ?? "900");

async function run(label: string, argv: string[], env: Record<string, string | undefined>): Promise<Outcome> {
  const proc = Bun.spawn(argv, { cwd: root, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let hung = false;
  const limit = setTimeout(() => {
    hung = true;
    proc.kill("SIGKILL");
  }, RUN_LIMIT_S * 1000);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(limit);
  const output = out + err + (hung ? `\n${label} did not finish within ${RUN_LIMIT_S} s (TSCNI_TEST_FILE_LIMIT_S): killed\n` : "");
  return { label, code: hung ? 1 : code, output, pass: count(output, "pass"), fail: count(output, "fail"), skip: count(output, "skip") };
}

function report(o: Outcome, verbose: boolean): void {
  const status = o.code === 0 ? "ok  " : "FAIL";
  console.log(`${status} ${o.label}: ${o.pass} pass, ${o.fail} fail, ${o.skip} skip`);
  const skipped = o.output.split("\n").filter((l) => l.includes("(skip)") || l.startsWith("SKIP ") || l.startsWith("VARIANT "));
  for (const l of skipped) console.log(`     ${l.trim()}`);
  if (o.code !== 0 || verbose) console.log(o.output);
}

async function pool<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/** Differential files print `DIFF-CASES {"plugin VERB": n}` (test/differential/oracles.ts). */
function printDiffCases(outcomes: Outcome[]): void {
  const total = new Map<string, number>();
  for (const o of outcomes) {
    for (const m of o.output.matchAll(/^DIFF-CASES (\{.*\})$/gm)) {
      for (const [k, n] of Object.entries(JSON.parse(m[1] ?? "{}") as Record<string, number>)) total.set(k, (total.get(k) ?? 0) + n);
    }
  }
  if (total.size === 0) return;
  const plugins = [...new Set([...total.keys()].map((k) => k.split(" ")[0] ?? ""))].sort();
  console.log("differential cases (same input through a live oracle and tscni):");
  for (const p of plugins) {
    const verbs = [...total].filter(([k]) => k.startsWith(`${p} `)).sort(([a], [b]) => a.localeCompare(b));
    console.log(`  ${p}: ${verbs.map(([k, n]) => `${k.slice(p.length + 1)} ${n}`).join(", ")}`);
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const verbose = args.includes("-v");
  const filters = args.filter((a) => a !== "-v");
  const wanted = (f: string): boolean => filters.length === 0 || filters.some((x) => f.includes(x));
  const env = { ...process.env, TSCNI_ISOLATED: undefined };
  const outcomes: Outcome[] = [];

  const unit = testFiles("test/unit").filter(wanted);
  if (unit.length > 0) {
    const o = await run("test/unit", [bun, "test", "--timeout", "30000", ...unit.map((f) => `./${f}`)], env);
    report(o, verbose);
    outcomes.push(o);
  }

  const asked = onDemandSuites.filter((d) => filters.some((x) => x.startsWith(d)));
  const isolated = [...isolatedSuites, ...asked].flatMap(testFiles).filter(wanted);
  if (isolated.length > 0 && process.getuid?.() !== 0) {
    console.log("netns suites need root: run make test as root");
    return 1;
  }
  // Once per run: a missing or altered oracle fails the run before any comparison starts.
  const problems = isolated.length > 0 ? oracleProblems() : [];
  if (problems.length > 0) {
    console.log(`FAIL the differential oracles are not the reference:\n  ${problems.join("\n  ")}`);
    return 1;
  }
  const width = Number(process.env.TSCNI_TEST_JOBS ?? "2");
  const results = await pool(isolated, width, (file) =>
    run(
      relative(root, join(root, file)),
      [...THROWAWAY_HOST, bun, join(root, "test/isolated-entry.ts"), file],
      { ...env, TSCNI_ISOLATED: "1", [VERIFIED_ENV]: "1" },
    ).then((o) => {
      report(o, verbose);
      return o;
    }),
  );
  outcomes.push(...results);

  printDiffCases(outcomes);
  const sum = (k: "pass" | "fail" | "skip"): number => outcomes.reduce((n, o) => n + o[k], 0);
  const crashed = outcomes.filter((o) => o.code !== 0 && o.fail === 0).length;
  const passed = sum("pass");
  const failed = sum("fail") + crashed;
  const skipped = sum("skip");
  console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

process.exit(await main());
