/**
 * Runs one scenario for every implementation and turns it into rows. Cycle scenarios go through
 * the round engine here: a pre-flight cycle (the first warm-up, and the test of whether tscni can
 * run it at all), one traced and one RSS cycle outside the timed rounds, the remaining warm-ups,
 * the timed rounds alternating the implementations' order, and profiled tscni cycles last.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { BenchEnv, CycleInstance, CycleScenario, ImplFigures, Row, Scenario, ScenarioOutcome } from "./model.ts";
import { summarizePhases } from "./phases.ts";
import { ExecError, IMPLS, Runner, SLOT, summarizePrograms, type Impl, type OpMeasure, type ProfiledExec } from "./proc.ts";
import { stats } from "./stats.ts";

const MiB = 1024 * 1024;

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

export async function runScenario(s: Scenario, env: BenchEnv, index: number, naReason?: string): Promise<ScenarioOutcome> {
  const missing = s.needs.filter((p) => !env.tscniPlugins.has(p));
  const tscniNa = naReason ?? (missing.length > 0 ? `n/a (not implemented yet: ${missing.join(", ")})` : undefined);
  // Every scenario against both references: Debian's v1.1.1 and upstream v1.9.1.
  const ours = tscniNa ? IMPLS.filter((i) => i !== "tscni") : IMPLS;
  const impls: readonly Impl[] = env.hasV191 ? [...ours, "v191"] : ours;
  try {
    if (s.kind === "cycle") return await runCycle(s, env, index, impls, tscniNa);
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
