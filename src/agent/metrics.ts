/**
 * Prometheus text (exposition format 0.0.4) from what is on the node: plugin calls and their
 * durations from the call log, host-local addresses in use and free per network, and — when the
 * agent's status file is there — gc reclaims and peers routed. `tscni metrics` and the agent's
 * /metrics print the same document.
 */
import { readFileSync } from "node:fs";
import type { CallLogLine } from "../log-file.ts";
import { cidrText, equalIP, parseIP, toBigInt } from "../ip/index.ts";
import { DiskStore, loadHostLocalConfig, rangeContains } from "../ipam/index.ts";
import { scanConfDir } from "../runtime/index.ts";
import { hostLocalSections } from "../container/index.ts";
import { previousCallLog } from "./call-log.ts";
import type { AgentStatus } from "./status.ts";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsSources {
  callLog: string;
  confDir: string;
  status?: AgentStatus;
}

const label = (v: string): string => JSON.stringify(v).slice(1, -1);
const labels = (l: Record<string, string>): string => `{${Object.entries(l).map(([k, v]) => `${k}="${label(v)}"`).join(",")}}`;

/** The calls of the log and of its previous file (call-log.ts rotates it). */
function readCalls(file: string): CallLogLine[] {
  const out: CallLogLine[] = [];
  for (const f of [previousCallLog(file), file]) readCallsOf(f, out);
  return out;
}

function readCallsOf(file: string, out: CallLogLine[]): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return;
  }
  for (const l of text.split("\n")) {
    if (l === "") continue;
    try {
      const v = JSON.parse(l) as CallLogLine;
      // Each field a label or a sample is made of: one without a result would break the whole document.
      if (typeof v.plugin === "string" && typeof v.command === "string" && typeof v.result === "string" && Number.isFinite(v.durationMs)) out.push(v);
    } catch {
      // a torn line: the rest still counts
    }
  }
}

function callMetrics(calls: readonly CallLogLine[]): string[] {
  const lines = ["# HELP tscni_plugin_calls_total Plugin calls recorded in the call log.", "# TYPE tscni_plugin_calls_total counter"];
  const counts = new Map<string, number>();
  for (const c of calls) {
    const k = labels({ plugin: c.plugin, verb: c.command, result: c.result });
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [k, n] of [...counts].sort()) lines.push(`tscni_plugin_calls_total${k} ${n}`);
  lines.push("# HELP tscni_plugin_call_duration_seconds Plugin call durations from the call log.", "# TYPE tscni_plugin_call_duration_seconds histogram");
  for (const [key, group] of [...Map.groupBy(calls, (c) => `${c.plugin}\0${c.command}`)].sort(([a], [b]) => a.localeCompare(b))) {
    const [plugin = "", verb = ""] = key.split("\0");
    const secs = group.map((c) => c.durationMs / 1000);
    for (const le of BUCKETS) lines.push(`tscni_plugin_call_duration_seconds_bucket${labels({ plugin, verb, le: String(le) })} ${secs.filter((s) => s <= le).length}`);
    lines.push(`tscni_plugin_call_duration_seconds_bucket${labels({ plugin, verb, le: "+Inf" })} ${secs.length}`);
    lines.push(`tscni_plugin_call_duration_seconds_sum${labels({ plugin, verb })} ${secs.reduce((a, b) => a + b, 0).toFixed(6)}`);
    lines.push(`tscni_plugin_call_duration_seconds_count${labels({ plugin, verb })} ${secs.length}`);
  }
  return lines;
}

function addressMetrics(confDir: string): string[] {
  const lines = ["# HELP tscni_ipam_addresses host-local addresses per network and range set, in use or free.", "# TYPE tscni_ipam_addresses gauge"];
  let scans;
  try {
    scans = scanConfDir(confDir);
  } catch {
    return lines;
  }
  const seen = new Set<string>();
  for (const list of scans.flatMap((s) => (s.list ? [s.list] : []))) {
    if (seen.has(list.name)) continue;
    seen.add(list.name);
    for (const section of hostLocalSections(list.plugins)) {
      let config;
      try {
        config = loadHostLocalConfig({ name: list.name, cniVersion: list.cniVersion, ipam: section }, "");
      } catch {
        continue;
      }
      let taken;
      try {
        taken = new DiskStore(config.dataDir, config.name, { create: false }).reservations().flatMap((r) => parseIP(r.ip) ?? []);
      } catch {
        continue; // a network host-local itself refuses has no addresses to count (validate says why)
      }
      for (const set of config.rangeSets) {
        for (const range of set) {
          let size = toBigInt(range.rangeEnd) - toBigInt(range.rangeStart) + 1n;
          if (rangeContains(range, range.gateway)) size -= 1n;
          const used = taken.filter((ip) => rangeContains(range, ip) && !equalIP(ip, range.gateway)).length;
          const subnet = cidrText(range.subnet.ip, range.subnet.prefix);
          lines.push(`tscni_ipam_addresses${labels({ network: list.name, range: subnet, state: "in_use" })} ${used}`);
          lines.push(`tscni_ipam_addresses${labels({ network: list.name, range: subnet, state: "free" })} ${size - BigInt(used)}`);
        }
      }
    }
  }
  return lines;
}

function agentMetrics(s: AgentStatus | undefined): string[] {
  if (s === undefined) return [];
  const gc = s.gc ?? { released: 0, deleted: 0, firewall: 0, errors: 0 };
  return [
    "# HELP tscni_gc_reclaimed_total What the agent's periodic gc freed since it started.",
    "# TYPE tscni_gc_reclaimed_total counter",
    `tscni_gc_reclaimed_total{kind="address"} ${gc.released}`,
    `tscni_gc_reclaimed_total{kind="attachment"} ${gc.deleted}`,
    `tscni_gc_reclaimed_total{kind="firewall"} ${gc.firewall}`,
    "# HELP tscni_agent_peers Peer node pod CIDRs routed directly, or not reachable directly.",
    "# TYPE tscni_agent_peers gauge",
    `tscni_agent_peers{state="routed"} ${s.routed.length}`,
    `tscni_agent_peers{state="unreachable"} ${s.unreachable.length}`,
    "# HELP tscni_agent_ready 1 when the node's network config is written.",
    "# TYPE tscni_agent_ready gauge",
    `tscni_agent_ready ${s.phase === "ready" ? 1 : 0}`,
  ];
}

export function renderMetrics(src: MetricsSources): string {
  return `${[...callMetrics(readCalls(src.callLog)), ...addressMetrics(src.confDir), ...agentMetrics(src.status)].join("\n")}\n`;
}
