/**
 * The call log, through the compiled plugins: what a line carries (pod, addresses, step times,
 * rollbacks), `tscni log` reading it back, and a log path that cannot be opened safely (symbolic
 * link, FIFO, someone else's file) costing one stderr line and never the call. A network config
 * can switch logging on but never choose where it goes.
 */
import { expect, test } from "bun:test";
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { distDir, exec, mustExec, NETNS_TIMEOUT, requireIsolatedHost, runCni, SYSTEM_PATH, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

interface Line {
  plugin: string;
  command: string;
  pod?: { namespace: string; name: string };
  addresses?: string[];
  steps: { step: string; ms: number }[];
  result: string;
  error?: { code: number; msg: string };
  rolledBack?: string[];
}

function bridgeConf(dataDir: string, subnet: string, extra: object = {}) {
  return {
    cniVersion: "1.0.0",
    name: "lognet",
    type: "bridge",
    bridge: "log0",
    isGateway: true,
    ipMasq: true,
    ipam: { type: "host-local", ranges: [[{ subnet }]], dataDir },
    ...extra,
  };
}

const readLines = (file: string): Line[] => readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Line);

test(
  "an ADD's line: pod from CNI_ARGS, addresses, each step timed; a failed ADD says what was rolled back; tscni log shows the pod's timeline",
  async () => {
    using d = tempDir();
    await using ns1 = await tempNetns();
    await using ns2 = await tempNetns();
    const file = join(d.path, "calls.jsonl");
    const conf = bridgeConf(join(d.path, "data"), "10.93.0.0/30");
    const call = (ns: string, cid: string, name: string) =>
      runCni(tscni("bridge"), {
        command: "ADD",
        containerId: cid,
        netns: ns,
        ifname: "eth0",
        args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=${name}`,
        path: distDir,
        stdin: conf,
        env: { TSCNI_LOG: file },
      });
    const ok = await call(ns1.path, "c-web-1", "web-1");
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe("");
    // A /30 has one address besides the gateway: the second pod's IPAM fails after its veth exists.
    const failed = await call(ns2.path, "c-web-2", "web-2");
    expect(failed.code).not.toBe(0);

    const [first, second] = readLines(file);
    expect(first).toMatchObject({ plugin: "bridge", command: "ADD", pod: { namespace: "shop", name: "web-1" }, addresses: ["10.93.0.2/30"], result: "ok" });
    expect(first?.steps.map((s) => s.step)).toEqual(["bridge", "netns", "veth", "ipam", "addresses", "firewall", "wait"]);
    for (const s of first?.steps ?? []) expect(s.ms).toBeGreaterThanOrEqual(0);
    expect(second).toMatchObject({ pod: { name: "web-2" }, result: "error", rolledBack: ["delete veth"] });
    expect(second?.addresses).toBeUndefined();

    const view = await exec([tscni("tscni"), "log", "--pod", "web-1"], { env: { PATH: SYSTEM_PATH, TSCNI_LOG: file } });
    expect(view.code).toBe(0);
    expect(view.stdout).toMatch(/^\S+Z {2}ADD {4}bridge {6}shop\/web-1 {2}c-web-1:eth0 {2}network "lognet" {2}ok {2}[\d.]+ ms\n/);
    expect(view.stdout).toContain("    addresses: 10.93.0.2/30\n");
    expect(view.stdout).toMatch(/ {4}steps: bridge [\d.]+ ms → netns [\d.]+ ms → veth .* → wait [\d.]+ ms\n/);
    expect(view.stdout).not.toContain("web-2");
    const failedView = await exec([tscni("tscni"), "log", "--pod", "web-2", "--file", file], { env: { PATH: SYSTEM_PATH } });
    expect(failedView.stdout).toContain("    rolled back: delete veth\n");
    expect(failedView.stdout).toContain("    error: ");
  },
  NETNS_TIMEOUT,
);

test(
  "a log path that cannot be opened safely: one stderr line, the call succeeds, the target untouched",
  async () => {
    using d = tempDir();
    await using ns = await tempNetns();
    const victim = join(d.path, "victim");
    writeFileSync(victim, "precious\n");
    const link = join(d.path, "link.jsonl");
    symlinkSync(victim, link);
    const fifo = join(d.path, "fifo.jsonl");
    await mustExec(["mkfifo", fifo]);
    const foreign = join(d.path, "foreign.jsonl");
    writeFileSync(foreign, "");
    chownSync(foreign, 65534, 65534);
    const cases: [string, string][] = [
      [link, "is a symbolic link"],
      [fifo, "not a regular file"],
      [foreign, "owned by uid 65534, not by this user"],
      ["relative.jsonl", "TSCNI_LOG must be an absolute path"],
    ];
    for (const [i, [target, why]] of cases.entries()) {
      const r = await runCni(tscni("loopback"), { command: "ADD", containerId: `c${i}`, netns: ns.path, ifname: "lo", path: distDir, stdin: { cniVersion: "1.0.0", name: "n", type: "loopback" }, env: { TSCNI_LOG: target }, cwd: d.path });
      expect({ target, code: r.code }).toEqual({ target, code: 0 });
      expect(r.json).toMatchObject({ cniVersion: "1.0.0" });
      expect(r.stderr).toBe(`tscni: call log ${target} not written: ${why}\n`);
    }
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readFileSync(foreign, "utf8")).toBe("");
    expect(existsSync(join(d.path, "relative.jsonl"))).toBe(false);

    // A new log file is created 0600.
    const fresh = join(d.path, "fresh.jsonl");
    const r = await runCni(tscni("loopback"), { command: "ADD", containerId: "c9", netns: ns.path, ifname: "lo", path: distDir, stdin: { cniVersion: "1.0.0", name: "n", type: "loopback" }, env: { TSCNI_LOG: fresh } });
    expect(r.code).toBe(0);
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
  },
  NETNS_TIMEOUT,
);

test(
  "a config's `log` key never chooses the path; `\"log\": true` writes to /var/log/tscni/calls.jsonl",
  async () => {
    using d = tempDir();
    await using ns = await tempNetns();
    const chosen = join(d.path, "chosen-by-config.jsonl");
    const r = await runCni(tscni("loopback"), { command: "ADD", containerId: "cfg1", netns: ns.path, ifname: "lo", path: distDir, stdin: { cniVersion: "1.0.0", name: "n", type: "loopback", log: chosen } });
    expect(r.code).toBe(0);
    expect(existsSync(chosen)).toBe(false);
    // This file's mount namespace is private (test/run.ts): a bind over /var/log leaves the machine's alone.
    mkdirSync("/run/varlog", { recursive: true });
    await mustExec(["mount", "--bind", "/run/varlog", "/var/log"]);
    try {
      const on = await runCni(tscni("loopback"), { command: "ADD", containerId: "cfg2", netns: ns.path, ifname: "lo", path: distDir, stdin: { cniVersion: "1.0.0", name: "n", type: "loopback", log: true } });
      expect(on.code).toBe(0);
      expect(on.stderr).toBe("");
      expect(readLines("/var/log/tscni/calls.jsonl")).toEqual([expect.objectContaining({ plugin: "loopback", command: "ADD", result: "ok" })]);
      expect(statSync("/var/log/tscni").mode & 0o777).toBe(0o700);
    } finally {
      await mustExec(["umount", "/var/log"]);
    }
  },
  NETNS_TIMEOUT,
);
