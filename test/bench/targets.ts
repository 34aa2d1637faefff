/**
 * Targets that are not one row's ratio: peak RSS per plugin exec, by the plugins a scenario runs
 * (loopback and host-local alone ≤ 20 MiB; anything with bridge or portmap ≤ 28 MiB). The load
 * scenarios (density, concurrency) are reported, not held to these.
 */
import type { Check, Row } from "./model.ts";

const LIMITS: readonly { label: string; mib: number; scenarios: readonly string[] }[] = [
  { label: "VERSION, loopback, host-local", mib: 20, scenarios: ["version", "loopback", "host-local"] },
  { label: "bridge, portmap, containerd chain", mib: 28, scenarios: ["bridge-nomasq", "bridge-iptables", "bridge-nft", "portmap-0", "portmap-4", "chain"] },
];

const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "-");

export function rssChecks(rows: readonly Row[]): Check[] {
  return LIMITS.map(({ label, mib, scenarios }) => {
    const mine = rows.filter((r) => scenarios.includes(r.scenario));
    const ts = mine.flatMap((r) => (r.tscni?.peakRssMiB != null ? [r.tscni.peakRssMiB] : []));
    const ref = mine.flatMap((r) => (r.reference?.peakRssMiB != null ? [r.reference.peakRssMiB] : []));
    const max = ts.length > 0 ? Math.max(...ts) : Number.NaN;
    return {
      scenario: "*",
      label: `peak RSS per exec, ${label} (tscni, worst)`,
      value: `${f1(max)} MiB (reference worst ${f1(ref.length > 0 ? Math.max(...ref) : Number.NaN)} MiB)`,
      limit: `≤ ${mib} MiB`,
      met: ts.length > 0 ? max <= mib : null,
    };
  });
}
