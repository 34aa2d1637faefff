/**
 * bench-results.md: the README's "Performance" tables, ready to paste — the run's one-line
 * summary, the main table (with the v1.9.1 columns where that reference ran), the checks, the
 * programs each operation exec'd, and tscni's per-phase medians (TSCNI_PROFILE).
 */
import { writeFileSync } from "node:fs";
import type { Check, ImplFigures, Row } from "./model.ts";
import { phaseMarkdown } from "./phases.ts";

export interface RunMeta {
  date: string;
  cpu: string;
  cores: number;
  kernel: string;
  bun: string;
  tscni: string;
  reference: string;
  v191: string;
  rounds: number;
  warmup: number;
  densityPods: number;
}

const f1 = (x: number | undefined | null): string =>
  x === undefined || x === null || !Number.isFinite(x) ? "–" : x >= 100 ? x.toFixed(0) : x.toFixed(1);
const cell = (f: ImplFigures | undefined): string => (f ? `${f1(f.wallMs.median)} (${f1(f.wallMs.p90)})` : "–");
const ratio = (x: number | undefined): string => (x === undefined ? "" : x.toFixed(2));

export function summaryLine(meta: RunMeta, elapsedSeconds: number): string {
  return (
    `Measured ${meta.date.slice(0, 10)} on ${meta.cpu} ×${meta.cores}, kernel ${meta.kernel}, Bun ${meta.bun}; ${meta.tscni} vs ` +
    `${meta.reference} and ${meta.v191}; ${meta.rounds} rounds after ${meta.warmup} warm-ups, ${meta.densityPods} density pods ` +
    `(${elapsedSeconds.toFixed(0)} s).`
  );
}

export function mainTable(rows: readonly Row[]): string {
  const out = [
    "| scenario / op | tscni median (p90) ms | reference median (p90) ms | ratio | v1.9.1 median (p90) ms | ratio v1.9.1 | target | execs tscni / ref | peak RSS MiB tscni / ref | CPU ms tscni / ref |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const t = r.tscni ? cell(r.tscni) : r.status === "error" ? "ERROR" : "n/a";
    const target = r.target ? `${r.target.label} ${r.target.met ? "met" : "**missed**"}` : "";
    const execs = r.tscni?.execs != null || r.reference?.execs != null ? `${r.tscni?.execs ?? "–"} / ${r.reference?.execs ?? "–"}` : "–";
    const rss = r.tscni?.peakRssMiB != null || r.reference?.peakRssMiB != null ? `${f1(r.tscni?.peakRssMiB)} / ${f1(r.reference?.peakRssMiB)}` : "–";
    out.push(
      `| ${r.title} — ${r.op} | ${t} | ${cell(r.reference)} | ${ratio(r.ratio)} | ${cell(r.v191)} | ${ratio(r.ratio191)} | ${target} | ${execs} | ${rss} | ${f1(r.tscni?.cpuMs.median)} / ${f1(r.reference?.cpuMs.median)} |`,
    );
  }
  return out.join("\n");
}

export function writeMarkdown(path: string, rows: readonly Row[], checks: readonly Check[], meta: RunMeta, elapsedSeconds: number): void {
  const programs = rows.flatMap((r) =>
    r.tscni?.programs || r.reference?.programs
      ? [`- ${r.title} — ${r.op}: tscni ${r.tscni?.programs ?? "–"}; reference ${r.reference?.programs ?? "–"}`]
      : [],
  );
  const text = [
    summaryLine(meta, elapsedSeconds),
    "",
    mainTable(rows),
    "",
    ...checks.map((c) => `- ${c.met === null ? "n/a" : c.met ? "met" : "**missed**"}: ${c.label}: ${c.value} (${c.limit})`),
    "",
    "Programs exec'd per operation (strace):",
    "",
    ...programs,
    "",
    "tscni per phase (`TSCNI_PROFILE=1`, medians; start = spawn → entry; exit = the runner's wall time minus the profiled total, i.e. exit, teardown and the runner noticing it):",
    "",
    phaseMarkdown(rows),
    "",
  ].join("\n");
  writeFileSync(path, text);
}
