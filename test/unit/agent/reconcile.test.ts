/**
 * The reconciler's refusals that come before any kernel change: a Node whose own spec.podCIDRs do
 * not parse gets no network config (a dual-stack node must not silently become single-stack), and
 * the status file doctor reads says which value is wrong.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NodeReconciler } from "../../../src/agent/agent.ts";
import { nodeInfo } from "../../../src/agent/kube-types.ts";
import type { AgentOptions } from "../../../src/agent/options.ts";
import { noPlugins } from "../../../src/cli/command.ts";
import { tempDir } from "../../harness.ts";

function options(dir: string, logs: string[]): AgentOptions {
  return {
    node: "self",
    kube: {},
    confDir: join(dir, "net.d"),
    binDir: join(dir, "bin"),
    cacheDir: join(dir, "cache"),
    netnsDir: join(dir, "netns"),
    statusFile: join(dir, "status.json"),
    callLog: join(dir, "calls.jsonl"),
    logCalls: false,
    masquerade: false,
    clusterCIDRs: [],
    podCIDRs: [],
    gcGraceSeconds: 600,
    gcIntervalSeconds: 600,
    resyncSeconds: 60,
    listen: "",
    uninstallFile: join(dir, "uninstall"),
    uninstall: false,
    installDir: join(dir, "bin"),
    pluginNames: [],
    registry: noPlugins,
    env: {},
    log: (l) => void logs.push(l),
  };
}

describe("node reconciler", () => {
  test("its own Node with a podCIDR that is not a CIDR: refused, no conflist, the value named", async () => {
    using d = tempDir("tscni-agent-reconcile-");
    const logs: string[] = [];
    const o = options(d.path, logs);
    const self = nodeInfo({ metadata: { name: "self", uid: "u" }, spec: { podCIDRs: ["10.244.1.0/24", "fd00::/64 x"] }, status: {} });
    await new NodeReconciler(o, undefined).reconcile(new Map([["self", self]]));
    const s = JSON.parse(readFileSync(o.statusFile, "utf8")) as { phase: string; message: string };
    expect(s.phase).toBe("refused");
    expect(s.message).toContain('its podCIDR "fd00::/64 x" is not a CIDR');
    expect(existsSync(join(o.confDir, "10-tscni.conflist"))).toBe(false);
    expect(logs.join("\n")).toContain("no network config is written");
  });
});
