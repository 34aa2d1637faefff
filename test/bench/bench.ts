/**
 * `make bench`: tscni (dist/) against both references, Debian's v1.1.1 (/usr/lib/cni) and upstream
 * v1.9.1 (../shared/reference-bin), scenario by scenario, alternating the implementations round by
 * round after a warm-up. Prints median/p90 wall time, both tscni/reference ratios against the
 * issue's targets, CPU time (wait4 rusage), and,
 * from extra runs outside the timed rounds, exec counts (strace) and peak RSS per exec (GNU
 * time; see proc.ts for why not Bun's rusage). Writes bench-results.json, bench-results.md
 * (the README's Performance tables) and bench-results.svg at the repo root (results-files.ts).
 *
 * Runs in a throwaway host (re-runs itself there, throwaway-host.ts), so the machine's own links,
 * firewall, /run and /var/lib/cni are never touched. Timings are reported, never asserted: a
 * missed target is printed, only a broken benchmark exits non-zero.
 *
 *   bun test/bench/bench.ts [--quick] [--rounds N] [--only id[,id…]] [--pods N] [--strict] [--list]
 *   (--quick: 3 rounds, 30 density pods; --strict: a tscni failure also exits non-zero;
 *    TSCNI_BENCH_DIST=dir compares another build; TSCNI_BENCH_UNIMPLEMENTED=bridge,… forces n/a)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printDetails, printTable, printTargets } from "./console-report.ts";
import { benchEnv, missingBinaries, runFacts } from "./environment.ts";
import type { Check, Row } from "./model.ts";
import { killAllNetnsSync } from "./netns.ts";
import { parseArgs, selected } from "./options.ts";
import { previousResults, scenarioIndex, writeResults } from "./results-files.ts";
import { runScenario } from "./scenario-runner.ts";
import { SCENARIOS } from "./scenarios.ts";
import { rssChecks } from "./targets.ts";
import { enterThrowawayHost, rerunInThrowawayHost } from "./throwaway-host.ts";

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const chosen = SCENARIOS.filter((s) => selected(s, opts.only));
  if (opts.list) {
    for (const s of SCENARIOS) console.log(`${s.id.padEnd(20)} ${s.title}  [needs ${s.needs.join(", ")}]`);
    return 0;
  }
  if (chosen.length === 0) {
    console.error(`no scenario matches --only ${opts.only.join(",")}; see --list`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    console.error("the benchmark creates network namespaces, links and firewall rules: run it as root");
    return 2;
  }
  if (!enterThrowawayHost()) return await rerunInThrowawayHost(import.meta.path, process.argv.slice(2));
  const missing = missingBinaries();
  if (missing !== undefined) {
    console.error(missing);
    return 2;
  }

  const tmp = mkdtempSync(join(tmpdir(), "tscni-bench-"));
  const cleanupAll = (): void => {
    killAllNetnsSync();
    rmSync(tmp, { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      cleanupAll();
      process.exit(130);
    });
  }

  const started = performance.now();
  try {
    const env = await benchEnv(opts, tmp);
    const meta = runFacts(opts, env);
    console.log(`tscni bench: ${meta.cpu} ×${meta.cores}, kernel ${meta.kernel}, bun ${meta.bun}`);
    console.log(`tscni ${meta.tscni} vs ${meta.reference}`);
    console.log(`rounds ${opts.rounds} after ${env.warmup} warm-up, alternating; tscni answers as: ${meta.tscniPlugins.join(", ") || "(nothing yet)"}`);
    if (!env.strace) console.log("strace not found: exec counts omitted (apt-get install strace)");
    if (!env.time) console.log("/usr/bin/time not found: peak RSS omitted (apt-get install time)");
    console.log("");

    const rows: Row[] = [];
    const checks: Check[] = [];
    const broken: string[] = [];
    for (const s of chosen) {
      const t0 = performance.now();
      process.stderr.write(`… ${s.id}`);
      const out = await runScenario(s, env, SCENARIOS.indexOf(s));
      process.stderr.write(` (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
      rows.push(...out.rows);
      checks.push(...out.checks);
      if (out.broken) broken.push(out.broken);
    }
    const previous = opts.only.length > 0 ? previousResults(new Set(chosen.map((s) => s.id))) : undefined;
    const allRows = [...(previous?.rows ?? []), ...rows].sort((a, b) => scenarioIndex(a.scenario) - scenarioIndex(b.scenario));
    const allChecks = [...(previous?.checks ?? []), ...checks];
    checks.push(...rssChecks(rows));
    allChecks.push(...rssChecks(allRows));

    console.log("");
    printTable(rows);
    console.log("");
    printDetails(rows);
    console.log("");
    printTargets(rows, chosen, checks);
    const errors = rows.filter((r) => r.status === "error");
    const elapsed = (performance.now() - started) / 1000;
    console.log("");
    console.log(`${rows.length} rows, ${errors.length} tscni errors, ${broken.length} broken scenarios, ${elapsed.toFixed(0)} s`);

    writeResults({ rows: allRows, checks: allChecks }, broken, meta, elapsed, previous);
    for (const b of broken) console.error(`BROKEN ${b}`);
    for (const e of errors) console.error(`tscni ERROR ${e.scenario} ${e.op}: ${e.note ?? ""}`);
    return broken.length > 0 || (opts.strict && errors.length > 0) ? 1 : 0;
  } finally {
    cleanupAll();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    killAllNetnsSync();
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
