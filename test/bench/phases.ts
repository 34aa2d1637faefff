/**
 * Per-phase figures from TSCNI_PROFILE lines: for one operation, every plugin exec it made
 * (label "bridge ADD"), the median wall and CPU time of each phase, the peak RSS, and "exit" —
 * the wall time the runner saw around the exec minus the time the profile accounts for. The
 * runner passes its spawn time (TSCNI_PROFILE_SPAWNED), so `start` covers exec → entry and "exit"
 * is what follows the profile line: the process's exit and teardown, and the runner's own
 * latency in noticing it. (Before that, `start` began at Bun's clock origin, several ms after
 * exec, and those ms showed up here as "exit".)
 */
import type { ProfiledExec } from "./proc.ts";
import { median } from "./stats.ts";

export interface PhaseFigure {
  phase: string;
  wallMs: number;
  cpuMs: number;
}

export interface PhaseSummary {
  /** "loopback ADD", "bridge DEL", … */
  label: string;
  /** Profiled execs behind the medians. */
  n: number;
  phases: PhaseFigure[];
  totalWallMs: number;
  totalCpuMs: number;
  /** Median of (runner-measured wall − profiled total). */
  exitMs: number;
  rssMiB: number;
}

export function summarizePhases(execs: readonly ProfiledExec[]): PhaseSummary[] {
  const byLabel = new Map<string, ProfiledExec[]>();
  for (const e of execs) byLabel.set(e.record.label, [...(byLabel.get(e.record.label) ?? []), e]);
  return [...byLabel].map(([label, list]) => {
    const names: string[] = [];
    for (const e of list) for (const name of e.record.phases.keys()) if (!names.includes(name)) names.push(name);
    const pick = (name: string, k: "wall" | "cpu") => median(list.map((e) => e.record.phases.get(name)?.[k] ?? 0));
    return {
      label,
      n: list.length,
      phases: names.map((phase) => ({ phase, wallMs: pick(phase, "wall"), cpuMs: pick(phase, "cpu") })),
      totalWallMs: median(list.map((e) => e.record.total.wall)),
      totalCpuMs: median(list.map((e) => e.record.total.cpu)),
      exitMs: median(list.map((e) => e.wallMs - e.record.total.wall)),
      rssMiB: median(list.map((e) => e.record.rssMiB)),
    };
  });
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : "-");

/** "start 2.91/2.40 · imports 1.02/0.98 · … · exit 1.10" (wall/cpu ms). */
export function phaseText(s: PhaseSummary): string {
  const parts = s.phases.map((p) => `${p.phase} ${f2(p.wallMs)}/${f2(p.cpuMs)}`);
  return `${parts.join(" · ")} · exit ${f2(s.exitMs)}`;
}

/** One markdown table: a row per (scenario op, plugin exec), phases as wall/cpu ms. */
export function phaseMarkdown(rows: readonly { title: string; op: string; phases?: PhaseSummary[] }[]): string {
  const out = [
    "| scenario / op | plugin exec | n | total wall/CPU ms | phases, wall/CPU ms (medians) | exit ms | peak RSS MiB |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    for (const s of r.phases ?? []) {
      out.push(`| ${r.title} — ${r.op} | ${s.label} | ${s.n} | ${f2(s.totalWallMs)} / ${f2(s.totalCpuMs)} | ${phaseText(s).replace(/ · exit [^·]*$/, "")} | ${f2(s.exitMs)} | ${s.rssMiB.toFixed(1)} |`);
    }
  }
  return out.join("\n");
}
