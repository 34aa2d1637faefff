/** What the bench prints on stdout: the run's table, the per-row details, the targets' verdicts. */
import type { Check, Row, Scenario } from "./model.ts";
import { phaseText } from "./phases.ts";

const f1 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? "-" : x >= 100 ? x.toFixed(0) : x.toFixed(1));

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function printTable(rows: readonly Row[]): void {
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

export function printDetails(rows: readonly Row[]): void {
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

/** Each row's target, the cycle targets no row could be judged against, and the other checks. */
export function printTargets(rows: readonly Row[], chosen: readonly Scenario[], checks: readonly Check[]): void {
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
}
