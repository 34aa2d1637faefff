/**
 * `tscni agent`'s command line: a missing node name or a bad value exits 2 before anything is
 * written; an API server it cannot use exits 1 and leaves the reason in the status file doctor
 * reads (and the doctor check turns it into an error with a fix).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PLUGIN_NAMES } from "../../../plugins/registry.ts";
import { agentChecks } from "../../../src/cli/doctor-agent.ts";
import { runCli } from "../../../src/cli/index.ts";
import { tempDir } from "../../harness.ts";

const deps = { pluginNames: PLUGIN_NAMES, runPlugin: async () => 0 };

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await runCli(argv, deps, { env, out: () => {}, err: (t) => void err.push(t), stdoutIsTty: false, stderrIsTty: false });
  return { code, err: err.join("") };
}

describe("tscni agent command line", () => {
  test("no node name, or a bad value: exit 2, no status file", async () => {
    using d = tempDir("tscni-agent-cli-");
    const status = join(d.path, "status.json");
    for (const [argv, why] of [
      [[], "--node (or $NODE_NAME) is required"],
      [["--node", "n", "--uninstall", "yes"], "--uninstall must be true or false"],
      [["--node", "n", "--gc-interval", "0"], "--gc-interval must be a whole number of seconds ≥ 1"],
      [["--node", "n", "--resync", "soon"], "--resync must be"],
      [["--node", "n", "--listen", "9740"], '--listen "9740": give HOST:PORT'],
      [["--node", "n", "--listen", "0.0.0.0:70000"], "--listen"],
      [["--node", "n", "--listen", "::1:9740"], "--listen"],
      [["--node", "n", "--pod-cidr", "10.244.1.0/24,nope"], '--pod-cidr "nope" is not a CIDR'],
      [["--node", "n", "--cluster-cidr", "10.244.0.0/16 -j ACCEPT"], '--cluster-cidr "10.244.0.0/16 -j ACCEPT" is not a CIDR'],
    ] as const) {
      const r = await run(["agent", "--status-file", status, ...argv]);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).toContain(why);
    }
    expect(existsSync(status)).toBe(false);
  });

  test("an API server it cannot use: exit 1, the reason in the status file, doctor's error", async () => {
    using d = tempDir("tscni-agent-cli-");
    const status = join(d.path, "status.json");
    const r = await run(["agent", "--status-file", status, "--listen", "", "--server", "http://10.0.0.1:6443"], { NODE_NAME: "n1" });
    expect(r.code).toBe(1);
    expect(r.err).toContain("only https:// is spoken");
    const s = JSON.parse(readFileSync(status, "utf8")) as { phase: string; node: string };
    expect(s).toMatchObject({ phase: "no-api", node: "n1" });
    const checks = agentChecks({ TSCNI_AGENT_STATUS: status });
    expect(checks.map((c) => [c.id, c.severity])).toEqual([["agent", "error"]]);
    expect(checks[0]?.detail).toContain("cannot talk to the API server");
    // Every --listen form is accepted: the agent gets as far as the API server.
    for (const listen of ["[::1]:9740", ":9740", "127.0.0.1:9740"]) {
      const r2 = await run(["agent", "--status-file", status, "--listen", listen, "--server", "http://10.0.0.1:6443"], { NODE_NAME: "n1" });
      expect({ listen, code: r2.code }).toEqual({ listen, code: 1 });
    }
    const noCluster = await run(["agent", "--status-file", status, "--listen", ""], { NODE_NAME: "n1" });
    expect(noCluster.code).toBe(1);
    expect(noCluster.err).toContain("KUBERNETES_SERVICE_HOST/PORT are unset");
  });

  test("no status file: doctor adds no agent check", () => {
    expect(agentChecks({ TSCNI_AGENT_STATUS: "/nonexistent/agent-status.json" })).toEqual([]);
  });
});
