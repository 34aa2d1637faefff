/**
 * The metrics document from node files: calls counted by plugin/verb/result with a duration
 * histogram, torn call-log lines and lines missing a field skipped, host-local addresses in use and free per range (the
 * gateway counted in neither), a network host-local refuses skipped, agent gauges only when its status exists.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderMetrics } from "../../../src/agent/metrics.ts";
import type { AgentStatus } from "../../../src/agent/status.ts";
import { tempDir } from "../../harness.ts";

const call = (plugin: string, command: string, result: "ok" | "error", durationMs: number): string =>
  JSON.stringify({ time: "t", plugin, command, containerId: "c", ifname: "eth0", network: "n", steps: [], durationMs, result });

describe("metrics", () => {
  test("calls, durations, addresses; agent gauges only with a status", () => {
    using dir = tempDir("tscni-metrics-");
    const conf = join(dir.path, "net.d");
    const data = join(dir.path, "ipam");
    mkdirSync(conf);
    mkdirSync(join(data, "pods"), { recursive: true });
    writeFileSync(
      join(conf, "10-x.conflist"),
      JSON.stringify({ cniVersion: "1.0.0", name: "pods", plugins: [{ type: "bridge", ipam: { type: "host-local", dataDir: data, ranges: [[{ subnet: "10.9.0.0/29" }]] } }] }),
    );
    // 10.9.0.0/29: .2-.6 allocatable beside the gateway .1; two taken.
    writeFileSync(join(data, "pods", "10.9.0.2"), "c1\neth0");
    writeFileSync(join(data, "pods", "10.9.0.3"), "c2\neth0");
    // A name host-local refuses (validate reports it) costs its own lines only, not the document.
    writeFileSync(join(conf, "20-bad.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "../x", plugins: [{ type: "bridge", ipam: { type: "host-local", dataDir: data, ranges: [[{ subnet: "10.8.0.0/29" }]] } }] }));
    const log = join(dir.path, "calls.jsonl");
    writeFileSync(log, [call("bridge", "ADD", "ok", 40), call("bridge", "ADD", "ok", 120), call("bridge", "DEL", "error", 3), '{"torn', '{"plugin":"bridge","command":"ADD","durationMs":1}', call("portmap", "ADD", "ok", 2)].join("\n"));
    const text = renderMetrics({ callLog: log, confDir: conf });
    expect(text).toContain('tscni_plugin_calls_total{plugin="bridge",verb="ADD",result="ok"} 2');
    expect(text).toContain('tscni_plugin_calls_total{plugin="bridge",verb="DEL",result="error"} 1');
    expect(text).toContain('tscni_plugin_call_duration_seconds_bucket{plugin="bridge",verb="ADD",le="0.05"} 1');
    expect(text).toContain('tscni_plugin_call_duration_seconds_bucket{plugin="bridge",verb="ADD",le="+Inf"} 2');
    expect(text).toContain('tscni_plugin_call_duration_seconds_sum{plugin="bridge",verb="ADD"} 0.160000');
    expect(text).toContain('tscni_ipam_addresses{network="pods",range="10.9.0.0/29",state="in_use"} 2');
    expect(text).toContain('tscni_ipam_addresses{network="pods",range="10.9.0.0/29",state="free"} 3');
    expect(text).not.toContain("10.8.0.0/29");
    expect(text).not.toContain("tscni_agent_peers");
    const status: AgentStatus = { time: "t", node: "n", phase: "ready", message: "", podCIDRs: [], routed: [{ node: "p", dst: "10.1.0.0/24", gw: "192.168.1.2" }], unreachable: [], problems: [], gc: { time: "t", released: 1, deleted: 2, firewall: 3, errors: 0 } };
    const withAgent = renderMetrics({ callLog: log, confDir: conf, status });
    expect(withAgent).toContain('tscni_agent_peers{state="routed"} 1');
    expect(withAgent).toContain('tscni_gc_reclaimed_total{kind="attachment"} 2');
    expect(withAgent).toContain("tscni_agent_ready 1");
  });

  test("no call log and no conf dir: only the metric headers", () => {
    const text = renderMetrics({ callLog: "/nonexistent/calls.jsonl", confDir: "/nonexistent/net.d" });
    expect(text.split("\n").filter((l) => l !== "" && !l.startsWith("#"))).toEqual([]);
  });
});
