/**
 * The files a run leaves at the repo root: bench-results.json (figures, raw samples, machine and
 * version facts), bench-results.md (the README's Performance tables) and bench-results.svg.
 * With --only, the scenarios not run keep their figures from the previous bench-results.json, so
 * re-running one scenario as a plugin lands does not throw the rest away.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../harness.ts";
import type { RunFacts } from "./environment.ts";
import { writeMarkdown } from "./markdown.ts";
import type { Check, ImplFigures, Row } from "./model.ts";
import { SCENARIOS } from "./scenarios.ts";
import { round } from "./stats.ts";
import { renderSvg } from "./svg.ts";

const jsonPath = join(repoRoot, "bench-results.json");

export interface Results {
  rows: Row[];
  checks: Check[];
}

export interface PreviousResults extends Results {
  date: string;
}

/** Rows in SCENARIOS order. */
export const scenarioIndex = (id: string): number => SCENARIOS.findIndex((s) => s.id === id);

/** The rows and checks of the last run's scenarios not in `ran`; undefined without a readable file. */
export function previousResults(ran: ReadonlySet<string>): PreviousResults | undefined {
  try {
    const prev = JSON.parse(readFileSync(jsonPath, "utf8")) as { meta?: { date?: string }; rows?: Row[]; checks?: Check[] };
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

function roundFigures(f: ImplFigures | undefined): ImplFigures | undefined {
  if (!f) return undefined;
  const rs = (s: ImplFigures["wallMs"]) => ({ n: s.n, median: round(s.median, 3), p90: round(s.p90, 3), min: round(s.min, 3), max: round(s.max, 3) });
  return { ...f, wallMs: rs(f.wallMs), cpuMs: rs(f.cpuMs), samplesMs: f.samplesMs?.map((x) => round(x, 2)), peakRssMiB: f.peakRssMiB === null ? null : round(f.peakRssMiB, 1) };
}

export function writeResults(all: Results, broken: readonly string[], meta: RunFacts, elapsed: number, previous: PreviousResults | undefined): void {
  const json = {
    meta: { ...meta, elapsedSeconds: round(elapsed, 1), ...(previous ? { otherScenariosFrom: previous.date } : {}) },
    rows: all.rows.map((r) => ({
      ...r,
      tscni: roundFigures(r.tscni),
      reference: roundFigures(r.reference),
      v191: roundFigures(r.v191),
      ratio: r.ratio === undefined ? undefined : round(r.ratio, 3),
      ratio191: r.ratio191 === undefined ? undefined : round(r.ratio191, 3),
    })),
    checks: all.checks,
    broken,
  };
  writeFileSync(jsonPath, JSON.stringify(json, null, 2) + "\n");
  writeMarkdown(join(repoRoot, "bench-results.md"), all.rows, all.checks, meta, elapsed);
  writeFileSync(join(repoRoot, "bench-results.svg"), renderSvg(all.rows, `${meta.date.slice(0, 10)} · ${meta.cpu} ×${meta.cores} · tscni ${meta.tscni} vs ${meta.reference} · ${meta.rounds} rounds`));
  console.log(`wrote bench-results.json, bench-results.md (README's tables) and bench-results.svg${previous ? ` (other scenarios kept from the run of ${previous.date})` : ""}`);
}
