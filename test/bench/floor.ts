/**
 * What no compiled Bun program goes below: an empty program built with tscni's compile flags,
 * exec'd alternately with each reference's loopback VERSION (a Go plugin's cheapest whole call).
 * Its ratios are the floor under every per-exec ratio in the table: a target below them cannot be
 * met by any change to tscni's own code, only by fewer execs.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CNI_VERSION } from "./configs.ts";
import { emptyBun } from "./empty-bun.ts";
import type { BenchEnv, ImplFigures, Row, ScenarioOutcome } from "./model.ts";
import { type Impl, Runner } from "./proc.ts";
import { stats } from "./stats.ts";

const ID = "floor";

async function timed(runner: Runner, plugin: string): Promise<{ wall: number; cpu: number }> {
  const stdin = JSON.stringify({ cniVersion: CNI_VERSION });
  const t0 = performance.now();
  await runner.invoke({ plugin, command: "VERSION", stdin });
  const wall = performance.now() - t0;
  return { wall, cpu: runner.reset().cpuUs / 1000 };
}

export async function floor(env: BenchEnv, _index: number, impls: readonly Impl[]): Promise<ScenarioOutcome> {
  const dir = join(env.tmp, ID);
  mkdirSync(dir, { recursive: true });
  const empty = emptyBun(dir).slice(dir.length + 1);
  // The empty program stands in the tscni column; the references run their loopback VERSION.
  const call = (impl: Impl) => (impl === "tscni" ? { runner: new Runner(impl, dir), plugin: empty } : { runner: new Runner(impl, env.binDir[impl]), plugin: "loopback" });
  const samples = new Map<Impl, { wall: number[]; cpu: number[] }>(impls.map((i) => [i, { wall: [], cpu: [] }]));
  const rounds = env.rounds * 5;
  for (let r = -env.warmup; r < rounds; r++) {
    for (const impl of r % 2 === 0 ? impls : [...impls].reverse()) {
      const { runner, plugin } = call(impl);
      const m = await timed(runner, plugin);
      if (r < 0) continue;
      samples.get(impl)?.wall.push(m.wall);
      samples.get(impl)?.cpu.push(m.cpu);
    }
  }
  const fig = (impl: Impl): ImplFigures | undefined => {
    const s = samples.get(impl);
    return s && s.wall.length > 0 ? { wallMs: stats(s.wall), cpuMs: stats(s.cpu), peakRssMiB: null, execs: 1, programs: null } : undefined;
  };
  const [t, ref, v191] = [fig("tscni"), fig("reference"), fig("v191")];
  const row: Row = {
    scenario: ID,
    title: "empty compiled Bun program (floor)",
    op: "exec vs Go loopback VERSION",
    status: t ? "ok" : "n/a",
    tscni: t,
    reference: ref,
    v191,
    note: "tscni column: an empty program compiled with tscni's flags; reference columns: loopback VERSION",
  };
  if (t && ref) row.ratio = t.wallMs.median / ref.wallMs.median;
  if (t && v191) row.ratio191 = t.wallMs.median / v191.wallMs.median;
  return { rows: [row], checks: [] };
}
