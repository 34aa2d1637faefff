/**
 * `make bench`: tscni (dist/) against the reference plugins (/usr/lib/cni), scenario by scenario,
 * alternating the two implementations round by round after a warm-up. Prints median/p90 wall
 * time, the tscni/reference ratio against the issue's targets, CPU time (wait4 rusage), and,
 * from extra runs outside the timed rounds, exec counts (strace) and peak RSS per exec (GNU
 * time; see proc.ts for why not Bun's rusage). Writes
 * bench-results.json and bench-results.svg at the repo root.
 *
 * Runs in a throwaway network + mount namespace (re-execs itself under unshare), so the machine's
 * own links, firewall, /run and /var/lib/cni are never touched. Timings are reported, never
 * asserted: a missed target is printed, only a broken benchmark exits non-zero.
 *
 *   bun test/bench/bench.ts [--quick] [--rounds N] [--only id[,id…]] [--pods N] [--strict] [--list]
 *   (--quick: 3 rounds, 30 density pods; --strict: a tscni failure also exits non-zero;
 *    TSCNI_BENCH_DIST=dir compares another build; TSCNI_BENCH_UNIMPLEMENTED=bridge,… forces n/a)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { join } from "node:path";
import { distDir, referenceDir, repoRoot, SYSTEM_PATH } from "../harness.ts";
import type { BenchEnv, Check, CycleInstance, CycleScenario, ImplFigures, Row, Scenario, ScenarioOutcome } from "./model.ts";
import { killAllNetnsSync } from "./netns.ts";
import { writeMarkdown } from "./markdown.ts";
import { rssChecks } from "./targets.ts";
import { phaseText, summarizePhases } from "./phases.ts";
import { ExecError, IMPLS, Runner, SLOT, summarizePrograms, type Impl, type OpMeasure, type ProfiledExec } from "./proc.ts";
import { SCENARIOS } from "./scenarios.ts";
import { round, stats } from "./stats.ts";
import { renderSvg } from "./svg.ts";

const MiB = 1024 * 1024;

interface Options {
  quick: boolean;
  rounds: number;
  only: string[];
  strict: boolean;
  list: boolean;
  pods: number;
}

function usage(): never {
  console.error("usage: bench.ts [--quick] [--rounds N] [--only id[,id…]] [--pods N] [--strict] [--list]");
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, rounds: 0, only: [], strict: false, list: false, pods: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string => inline ?? argv[++i] ?? usage();
    if (flag === "--quick") o.quick = true;
    else if (flag === "--strict") o.strict = true;
    else if (flag === "--list") o.list = true;
    else if (flag === "--rounds") {
      o.rounds = Number(value());
      if (!Number.isInteger(o.rounds) || o.rounds < 1) usage();
    } else if (flag === "--pods") {
      o.pods = Number(value());
      if (!Number.isInteger(o.pods) || o.pods < 2) usage();
    } else if (flag === "--only") o.only.push(...value().split(",").filter((s) => s !== ""));
    else usage();
  }
  if (o.rounds === 0) o.rounds = o.quick ? 3 : 20;
  if (o.pods === 0) o.pods = o.quick ? 30 : 250;
  return o;
}

function selected(s: Scenario, only: readonly string[]): boolean {
  return only.length === 0 || only.some((x) => s.id === x || s.id.startsWith(`${x}-`));
}

// ---------------------------------------------------------------------------------------------
// Isolation

function must(argv: string[]): void {
  const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "pipe", env: { PATH: SYSTEM_PATH } });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString().trim()}`);
}

/** Re-runs this script in a fresh network + mount namespace; returns its exit status. */
async function reexecIsolated(): Promise<number> {
  const proc = Bun.spawn(["unshare", "--net", "--mount", "--propagation", "private", "--", process.execPath, import.meta.path, ...process.argv.slice(2)], {
    stdio: ["inherit", "inherit", "inherit"],
    env: { ...process.env, TSCNI_ISOLATED: "1", TSCNI_BENCH_PREPARE: "1" },
  });
  process.on("SIGINT", () => undefined); // the child gets it too and cleans up
  process.on("SIGTERM", () => proc.kill("SIGTERM"));
  return await proc.exited;
}

/** Makes the new namespace a stand-in host: private /run, loopback up. */
function prepareIsolatedHost(): void {
  must(["mount", "-t", "tmpfs", "tmpfs", "/run"]);
  mkdirSync("/run/netns", { recursive: true });
  must(["ip", "link", "set", "lo", "up"]);
}

// ---------------------------------------------------------------------------------------------
// Probes

async function tscniPlugins(dir: string): Promise<Set<string>> {
  const forcedOff = new Set((process.env.TSCNI_BENCH_UNIMPLEMENTED ?? "").split(",").filter((s) => s !== ""));
  const out = new Set<string>();
  for (const p of ["bridge", "host-local", "loopback", "portmap"]) {
    if (forcedOff.has(p)) continue;
    const r = await new Runner("tscni", dir).run({ plugin: p, command: "VERSION", stdin: '{"cniVersion":"1.0.0"}' });
    if (r.code === 0) out.add(p);
  }
  return out;
}

function commandOutput(argv: string[]): string {
  try {
    const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "ignore", env: { PATH: SYSTEM_PATH } });
    return r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
  } catch {
    return "unknown";
  }
}

// ---------------------------------------------------------------------------------------------
// The round engine for cycle scenarios

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function implFigures(wall: number[], cpu: number[], rss: OpMeasure | undefined, traced: OpMeasure | undefined): ImplFigures {
  return {
    wallMs: stats(wall),
    cpuMs: stats(cpu),
    peakRssMiB: rss ? rss.peakRss / MiB : null,
    execs: traced ? traced.execs : null,
    programs: traced ? summarizePrograms(traced.programs) : null,
    samplesMs: wall,
  };
}

async function runCycle(s: CycleScenario, env: BenchEnv, index: number, impls: readonly Impl[], tscniNa: string | undefined): Promise<ScenarioOutcome> {
  const rounds = Math.max(1, Math.round(env.rounds * (s.roundsFactor ?? 1)));
  let active = [...impls];
  let tscniStatus: Row["status"] = impls.includes("tscni") ? "ok" : "n/a";
  let tscniNote = tscniNa;
  const inst = new Map<Impl, CycleInstance>();
  const traced = new Map<Impl, Map<string, OpMeasure>>();
  const rssRun = new Map<Impl, Map<string, OpMeasure>>();
  const samples = new Map<Impl, Map<string, { wall: number[]; cpu: number[] }>>();
  const profiled = new Map<string, ProfiledExec[]>();
  for (const impl of active) {
    const tmp = join(env.tmp, `${s.id}-${impl}`);
    mkdirSync(tmp, { recursive: true });
    inst.set(impl, await s.create({ impl, slot: SLOT[impl], index, tmp }));
    samples.set(impl, new Map(s.ops.map((op) => [op, { wall: [], cpu: [] }])));
  }
  const dropTscni = async (e: unknown): Promise<void> => {
    tscniStatus = e instanceof ExecError && e.notImplemented ? "n/a" : "error";
    tscniNote = tscniStatus === "n/a" ? `n/a (not implemented yet: ${errText(e)})` : errText(e);
    active = active.filter((i) => i !== "tscni");
    await inst.get("tscni")?.cleanup(new Runner("tscni", env.binDir.tscni));
    inst.delete("tscni");
  };
  /** One ADD→…→DEL cycle; a tscni failure drops tscni from the scenario, a reference one throws. */
  const cycle = async (impl: Impl, runner: Runner, each: (op: string, m: OpMeasure, ms: number) => void): Promise<void> => {
    const ops = inst.get(impl)?.ops;
    if (!ops) return;
    try {
      for (const op of s.ops) {
        const fn = ops[op];
        if (!fn) throw new Error(`scenario ${s.id} has no op ${op}`);
        const t0 = performance.now();
        await fn(runner);
        const ms = performance.now() - t0;
        each(op, runner.reset(), ms);
      }
    } catch (e) {
      if (impl !== "tscni") throw e;
      await dropTscni(e);
    }
  };
  try {
    // Pre-flight (also the first warm-up round): finds out whether tscni can run this at all.
    for (const impl of [...active]) await cycle(impl, new Runner(impl, env.binDir[impl]), () => undefined);
    // Exec counts (strace) and peak RSS (time), one cycle each, outside the timed rounds.
    const extra = [
      { mode: env.strace ? ({ kind: "trace", strace: env.strace, dir: env.tmp } as const) : undefined, into: traced },
      { mode: env.time ? ({ kind: "rss", time: env.time, dir: env.tmp } as const) : undefined, into: rssRun },
    ];
    for (const { mode, into } of extra) {
      if (!mode) continue;
      for (const impl of [...active]) {
        const m = new Map<string, OpMeasure>();
        await cycle(impl, new Runner(impl, env.binDir[impl], mode), (op, measure) => m.set(op, measure));
        into.set(impl, m);
      }
    }
    for (let w = 1; w < env.warmup; w++) for (const impl of [...active]) await cycle(impl, new Runner(impl, env.binDir[impl]), () => undefined);
    for (let r = 0; r < rounds; r++) {
      for (const impl of r % 2 === 0 ? [...active] : [...active].reverse()) {
        const acc = samples.get(impl);
        await cycle(impl, new Runner(impl, env.binDir[impl]), (op, m, ms) => {
          const a = acc?.get(op);
          if (!a) return;
          a.wall.push(ms);
          a.cpu.push(m.cpuUs / 1000);
        });
      }
    }
    // tscni's per-phase times, TSCNI_PROFILE=1, outside the timed rounds.
    const profileRounds = Math.min(10, Math.max(3, Math.round(rounds / 2)));
    for (let r = 0; r < profileRounds && active.includes("tscni"); r++) {
      await cycle("tscni", new Runner("tscni", env.binDir.tscni, { kind: "profile" }), (op, m) => {
        profiled.set(op, [...(profiled.get(op) ?? []), ...m.profiles]);
      });
    }
  } finally {
    for (const [impl, i] of inst) await i.cleanup(new Runner(impl, env.binDir[impl]));
  }
  const rows: Row[] = s.ops.map((op) => {
    const fig = (impl: Impl): ImplFigures | undefined => {
      const a = samples.get(impl)?.get(op);
      if (!a || a.wall.length === 0 || (impl === "tscni" && tscniStatus !== "ok")) return undefined;
      return implFigures(a.wall, a.cpu, rssRun.get(impl)?.get(op), traced.get(impl)?.get(op));
    };
    const t = fig("tscni");
    const ref = fig("reference");
    const v191 = fig("v191");
    const row: Row = { scenario: s.id, title: s.title, op, status: tscniStatus, tscni: t, reference: ref, v191 };
    const notes = [s.note, tscniStatus === "ok" ? undefined : tscniNote].filter((x): x is string => x !== undefined);
    if (notes.length > 0) row.note = notes.join("; ");
    if (t && ref) row.ratio = t.wallMs.median / ref.wallMs.median;
    if (t && v191) row.ratio191 = t.wallMs.median / v191.wallMs.median;
    const max = s.targets?.[op];
    const ratios = [row.ratio, row.ratio191].filter((x): x is number => x !== undefined);
    if (max !== undefined && ratios.length > 0) row.target = { label: `≤ ${max}`, met: ratios.every((x) => x <= max) };
    const phases = profiled.get(op);
    if (phases && phases.length > 0) row.phases = summarizePhases(phases);
    return row;
  });
  return { rows, checks: [] };
}

async function runScenario(s: Scenario, env: BenchEnv, index: number, naReason?: string): Promise<ScenarioOutcome> {
  const missing = s.needs.filter((p) => !env.tscniPlugins.has(p));
  const tscniNa = naReason ?? (missing.length > 0 ? `n/a (not implemented yet: ${missing.join(", ")})` : undefined);
  const impls = tscniNa ? IMPLS.filter((i) => i !== "tscni") : IMPLS;
  try {
    if (s.kind === "cycle") return await runCycle(s, env, index, s.v191 && env.hasV191 ? [...impls, "v191"] : impls, tscniNa);
    const out = await s.run(env, index, impls);
    for (const r of out.rows) {
      if (tscniNa) r.note = [s.note, tscniNa].filter((x) => x !== undefined).join("; ");
      else if (s.note && !r.note) r.note = s.note;
    }
    return out;
  } catch (e) {
    // A custom scenario whose tscni side turns out to be missing: measure the reference alone.
    if (e instanceof ExecError && e.impl === "tscni" && e.notImplemented && !tscniNa) {
      return await runScenario(s, env, index, `n/a (not implemented yet: ${errText(e)})`);
    }
    const byRef = !(e instanceof ExecError) || e.impl === "reference";
    const row: Row = { scenario: s.id, title: s.title, op: "-", status: "error", note: errText(e) };
    return { rows: [row], checks: [], broken: byRef ? `${s.id}: ${errText(e)}` : undefined };
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

const f1 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? "-" : x >= 100 ? x.toFixed(0) : x.toFixed(1));

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function printTable(rows: readonly Row[]): void {
  const head = [
    pad("scenario / op", 50),
    pad("tscni med/p90 ms", 17, true),
    pad("ref med/p90 ms", 16, true),
    pad("ratio", 7, true),
    pad("v1.9.1 med/p90", 15, true),
    pad("ratio", 7, true),
    pad("target", 14),
    pad("execs ts/ref", 13, true),
    pad("RSS MiB ts/ref", 15, true),
    pad("CPU ms ts/ref", 14, true),
  ].join(" ");
  console.log(head);
  console.log("-".repeat(head.length));
  for (const r of rows) {
    const t = r.tscni;
    const ref = r.reference;
    const tCell = t ? `${f1(t.wallMs.median)}/${f1(t.wallMs.p90)}` : r.status === "error" ? "ERROR" : "n/a";
    const target = r.target ? `${r.target.label} ${r.target.met ? "met" : "MISSED"}` : "";
    const cells = [
      pad(`${r.title} — ${r.op}`.slice(0, 50), 50),
      pad(tCell, 17, true),
      pad(ref ? `${f1(ref.wallMs.median)}/${f1(ref.wallMs.p90)}` : "-", 16, true),
      pad(r.ratio === undefined ? "-" : r.ratio.toFixed(2), 7, true),
      pad(r.v191 ? `${f1(r.v191.wallMs.median)}/${f1(r.v191.wallMs.p90)}` : "-", 15, true),
      pad(r.ratio191 === undefined ? "-" : r.ratio191.toFixed(2), 7, true),
      pad(target, 14),
      pad(`${t?.execs ?? "-"}/${ref?.execs ?? "-"}`, 13, true),
      pad(`${f1(t?.peakRssMiB ?? undefined)}/${f1(ref?.peakRssMiB ?? undefined)}`, 15, true),
      pad(`${f1(t?.cpuMs.median)}/${f1(ref?.cpuMs.median)}`, 14, true),
    ];
    console.log(cells.join(" "));
  }
}

function printDetails(rows: readonly Row[]): void {
  const seen = new Set<string>();
  for (const r of rows) {
    const progs = [r.tscni?.programs ? `tscni: ${r.tscni.programs}` : "", r.reference?.programs ? `reference: ${r.reference.programs}` : ""].filter((x) => x !== "");
    if (progs.length > 0) console.log(`  execs ${r.scenario} ${r.op}: ${progs.join(" | ")}`);
    for (const p of r.phases ?? []) console.log(`  phases ${r.scenario} ${r.op} ${p.label} (wall/CPU ms, RSS ${p.rssMiB.toFixed(1)} MiB): ${phaseText(p)}`);
    const key = `${r.scenario}:${r.note ?? ""}`;
    if (r.note && !seen.has(key)) {
      seen.add(key);
      console.log(`  note  ${r.scenario}: ${r.note}`);
    }
  }
}

function roundFigures(f: ImplFigures | undefined): ImplFigures | undefined {
  if (!f) return undefined;
  const rs = (s: ImplFigures["wallMs"]) => ({ n: s.n, median: round(s.median, 3), p90: round(s.p90, 3), min: round(s.min, 3), max: round(s.max, 3) });
  return { ...f, wallMs: rs(f.wallMs), cpuMs: rs(f.cpuMs), samplesMs: f.samplesMs?.map((x) => round(x, 2)), peakRssMiB: f.peakRssMiB === null ? null : round(f.peakRssMiB, 1) };
}

const scenarioIndex = (id: string): number => SCENARIOS.findIndex((s) => s.id === id);

/**
 * With --only, the scenarios not run keep their figures from the previous bench-results.json, so
 * re-running one scenario as a plugin lands does not throw the rest away.
 */
function previousResults(ran: ReadonlySet<string>): { rows: Row[]; checks: Check[]; date: string } | undefined {
  try {
    const prev = JSON.parse(readFileSync(join(repoRoot, "bench-results.json"), "utf8")) as { meta?: { date?: string }; rows?: Row[]; checks?: Check[] };
    const keep = (id: string | undefined): boolean => id !== undefined && id !== "*" && !ran.has(id) && scenarioIndex(id) >= 0;
    return {
      rows: (prev.rows ?? []).filter((r) => keep(r.scenario)),
      checks: (prev.checks ?? []).filter((c) => keep(c.scenario)),
      date: prev.meta?.date ?? "unknown",
    };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

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
  if (process.env.TSCNI_ISOLATED !== "1") return await reexecIsolated();
  if (process.env.TSCNI_BENCH_PREPARE === "1") prepareIsolatedHost();

  // TSCNI_BENCH_DIST: compare another build (a directory holding the plugin names) instead of dist/.
  const tscniDir = process.env.TSCNI_BENCH_DIST ?? distDir;
  if (!existsSync(join(tscniDir, "loopback"))) {
    console.error(`${tscniDir}/loopback is missing: run make build (or make bench)`);
    return 2;
  }
  for (const p of ["bridge", "host-local", "loopback", "portmap"]) {
    if (!existsSync(join(referenceDir, p))) {
      console.error(`${referenceDir}/${p} is missing: apt-get install containernetworking-plugins`);
      return 2;
    }
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
    const strace = Bun.which("strace", { PATH: SYSTEM_PATH }) ?? null;
    const time = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
    const v191Dir = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");
    const env: BenchEnv = {
      quick: opts.quick,
      rounds: opts.rounds,
      warmup: opts.quick ? 1 : 2,
      densityPods: opts.pods,
      binDir: { tscni: tscniDir, reference: referenceDir, v191: v191Dir },
      hasV191: existsSync(join(v191Dir, "loopback")),
      tscniPlugins: await tscniPlugins(tscniDir),
      strace,
      time,
      tmp,
    };
    const meta = {
      date: new Date().toISOString(),
      kernel: release(),
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      bun: Bun.version,
      tscni: commandOutput([join(tscniDir, "tscni"), "version"]),
      reference: `containernetworking-plugins ${commandOutput(["dpkg-query", "-W", "-f", "${Version}", "containernetworking-plugins"])} (${referenceDir})`,
      v191: existsSync(join(v191Dir, "loopback")) ? `containernetworking/plugins v1.9.1 (${v191Dir})` : "v1.9.1 not found",
      rounds: opts.rounds,
      warmup: env.warmup,
      densityPods: opts.pods,
      quick: opts.quick,
      only: opts.only,
      tscniPlugins: [...env.tscniPlugins].sort(),
      strace: strace !== null,
      gnuTime: time !== null,
    };
    console.log(`tscni bench: ${meta.cpu} ×${meta.cores}, kernel ${meta.kernel}, bun ${meta.bun}`);
    console.log(`tscni ${meta.tscni} vs ${meta.reference}`);
    console.log(`rounds ${opts.rounds} after ${env.warmup} warm-up, alternating; tscni answers as: ${meta.tscniPlugins.join(", ") || "(nothing yet)"}`);
    if (!strace) console.log("strace not found: exec counts omitted (apt-get install strace)");
    if (!time) console.log("/usr/bin/time not found: peak RSS omitted (apt-get install time)");
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
    console.log("targets:");
    for (const r of rows) {
      if (r.target) console.log(`  ${r.target.met ? "met   " : "MISSED"} ${r.title} ${r.op}: ratio ${r.ratio?.toFixed(2)} (${r.target.label})`);
    }
    for (const s of chosen) {
      if (s.kind !== "cycle" || !s.targets) continue;
      for (const op of Object.keys(s.targets)) {
        const r = rows.find((x) => x.scenario === s.id && x.op === op);
        if (r && !r.target) console.log(`  n/a    ${s.title} ${op}: ratio ≤ ${s.targets[op]} (${r.status === "error" ? "tscni failed" : "not implemented yet"})`);
      }
    }
    for (const c of checks) console.log(`  ${c.met === null ? "n/a   " : c.met ? "met   " : "MISSED"} ${c.label}: ${c.value} (${c.limit})`);
    const errors = rows.filter((r) => r.status === "error");
    const elapsed = (performance.now() - started) / 1000;
    console.log("");
    console.log(`${rows.length} rows, ${errors.length} tscni errors, ${broken.length} broken scenarios, ${elapsed.toFixed(0)} s`);

    const json = {
      meta: { ...meta, elapsedSeconds: round(elapsed, 1), ...(previous ? { otherScenariosFrom: previous.date } : {}) },
      rows: allRows.map((r) => ({
        ...r,
        tscni: roundFigures(r.tscni),
        reference: roundFigures(r.reference),
        v191: roundFigures(r.v191),
        ratio: r.ratio === undefined ? undefined : round(r.ratio, 3),
        ratio191: r.ratio191 === undefined ? undefined : round(r.ratio191, 3),
      })),
      checks: allChecks,
      broken,
    };
    writeFileSync(join(repoRoot, "bench-results.json"), JSON.stringify(json, null, 2) + "\n");
    writeMarkdown(join(repoRoot, "bench-results.md"), allRows, allChecks, meta, elapsed);
    writeFileSync(join(repoRoot, "bench-results.svg"), renderSvg(allRows, `${meta.date.slice(0, 10)} · ${meta.cpu} ×${meta.cores} · tscni ${meta.tscni} vs ${meta.reference} · ${opts.rounds} rounds`));
    console.log(`wrote bench-results.json, bench-results.md (README's tables) and bench-results.svg${previous ? ` (other scenarios kept from the run of ${previous.date})` : ""}`);
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
