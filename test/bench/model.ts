/** The shapes shared by the scenarios, the engine and the reports (also the JSON layout). */
import type { PhaseSummary } from "./phases.ts";
import type { Impl, Runner } from "./proc.ts";
import type { Stats } from "./stats.ts";

export interface ImplFigures {
  /** Wall time per operation, ms. */
  wallMs: Stats;
  /** CPU time (user + sys, the exec and its waited-for children) per operation, ms. */
  cpuMs: Stats;
  /** Largest peak RSS of any single exec of the operation (GNU time, outside the timed rounds), MiB. */
  peakRssMiB: number | null;
  /** Processes exec'd per operation (strace, once outside the timed rounds); null when not traced. */
  execs: number | null;
  programs: string | null;
  /** Raw wall times in round order (cycle scenarios), ms. */
  samplesMs?: number[];
}

export interface Target {
  /** Human text, e.g. "ratio ≤ 0.8". */
  label: string;
  met: boolean;
}

export interface Row {
  scenario: string;
  title: string;
  op: string;
  status: "ok" | "n/a" | "error";
  note?: string;
  tscni?: ImplFigures;
  reference?: ImplFigures;
  /** Upstream v1.9.1, for the scenarios that also run it. */
  v191?: ImplFigures;
  /** tscni median / reference (v1.1.1) median. */
  ratio?: number;
  /** tscni median / v1.9.1 median. */
  ratio191?: number;
  /** Met only when every measured ratio is within it. */
  target?: Target;
  /** tscni's TSCNI_PROFILE medians per plugin exec of the operation. */
  phases?: PhaseSummary[];
}

/** Targets that are not a per-row ratio (density, concurrency, RSS). */
export interface Check {
  /** Scenario id, or "*" for checks over every row. */
  scenario: string;
  label: string;
  value: string;
  limit: string;
  met: boolean | null;
}

export interface ScenarioOutcome {
  rows: Row[];
  checks: Check[];
  /** The scenario could not run at all (reference failed or harness error): exit non-zero. */
  broken?: string;
}

/** What every scenario gets from the engine. */
export interface BenchEnv {
  quick: boolean;
  rounds: number;
  warmup: number;
  /** Pods on the bridge in the density scenario (250; 30 with --quick). */
  densityPods: number;
  binDir: Record<Impl, string>;
  /** Whether the v1.9.1 binaries are there (`<repo>/../shared/reference-bin/v1.9.1`). */
  hasV191: boolean;
  /** Plugins the tscni binary answers to (VERSION probe); others make a scenario n/a. */
  tscniPlugins: ReadonlySet<string>;
  strace: string | null;
  /** GNU time, for peak RSS per exec. */
  time: string | null;
  tmp: string;
}

/** Per-implementation context for building one scenario instance. */
export interface InstanceCtx {
  impl: Impl;
  /** 0 for tscni, 1 for the reference, 2 for v1.9.1: disjoint bridge names, subnets and ports. */
  slot: number;
  /** Scenario number: disjoint subnets between scenarios. */
  index: number;
  tmp: string;
}

export interface CycleInstance {
  /** One function per op, run in the scenario's op order every round. */
  ops: Record<string, (r: Runner) => Promise<void>>;
  /** Best-effort teardown (namespaces, leftovers); never throws. */
  cleanup(r: Runner): Promise<void>;
}

export interface CycleScenario {
  kind: "cycle";
  id: string;
  title: string;
  needs: readonly string[];
  ops: readonly string[];
  /** Max tscni/reference ratio per op (against each reference measured: v1.1.1 and v1.9.1). */
  targets?: Readonly<Record<string, number>>;
  /** Rounds multiplier for cheap scenarios. */
  roundsFactor?: number;
  note?: string;
  create(ctx: InstanceCtx): Promise<CycleInstance>;
}

export interface CustomScenario {
  kind: "custom";
  id: string;
  title: string;
  needs: readonly string[];
  note?: string;
  run(env: BenchEnv, index: number, impls: readonly Impl[]): Promise<ScenarioOutcome>;
}

export type Scenario = CycleScenario | CustomScenario;
