/**
 * doctor's node checks against a /proc laid out by the test (CPU flags and runtime processes a
 * test cannot create for real; the netns test covers the real /proc with a real sleeper).
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderChecks } from "../../../src/cli/doctor.ts";
import { cpuCheck, driverCheck, forwardingCheck, netfilterChecks } from "../../../src/cli/doctor-kernel.ts";
import { pluginChecks } from "../../../src/cli/doctor-install.ts";
import { addressSpaceLimit, runtimeEnvChecks } from "../../../src/cli/doctor-runtime-env.ts";
import { PLUGIN_NAMES } from "../../../plugins/registry.ts";
import { tempDir } from "../../harness.ts";

function put(root: string, path: string, text: string): void {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
}

const LIMITS = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units\nMax address space         ${soft}            unlimited            bytes\n`;

describe("kernel", () => {
  test("br_netfilter missing or bridge-nf-call-* off are errors, each with a fix; on is ok", () => {
    using d = tempDir();
    const p = { proc: d.path };
    expect(netfilterChecks(p).map((c) => [c.id, c.severity])).toEqual([
      ["br-netfilter", "error"],
      ["bridge-nf-call-iptables", "error"],
      ["bridge-nf-call-ip6tables", "error"],
    ]);
    put(d.path, "sys/net/bridge/bridge-nf-call-iptables", "0\n");
    put(d.path, "sys/net/bridge/bridge-nf-call-ip6tables", "1\n");
    const [mod, v4, v6] = netfilterChecks(p);
    expect(mod?.severity).toBe("ok");
    expect(v4).toMatchObject({ severity: "error", detail: expect.stringContaining("net.bridge.bridge-nf-call-iptables = 0") });
    expect(v4?.fix).toContain("sysctl -w net.bridge.bridge-nf-call-iptables=1");
    expect(v6?.severity).toBe("ok");
  });

  test("ip_forward off is a warning", () => {
    using d = tempDir();
    put(d.path, "sys/net/ipv4/ip_forward", "0\n");
    expect(forwardingCheck({ proc: d.path })).toMatchObject({ id: "ip-forward", severity: "warning", fix: expect.stringContaining("ip_forward=1") });
  });

  test("veth built in (no loadable modules at all) or loadable on demand is no warning", () => {
    using d = tempDir();
    expect(driverCheck({ proc: d.path }, "veth", "x")).toMatchObject({ severity: "ok", detail: expect.stringContaining("built in") });
    put(d.path, "modules", "bridge 1 0 - Live 0x0\n");
    expect(driverCheck({ proc: d.path }, "bridge", "x").severity).toBe("ok");
    // Modules exist but veth is nowhere (no /lib/modules/<release> for a made-up release).
    expect(driverCheck({ proc: d.path }, "veth", "no-such-release").severity).toBe("warning");
  });

  test("CPU level: the x64 builds need SSE4.2, not AVX2", () => {
    using d = tempDir();
    const p = { proc: d.path };
    put(d.path, "cpuinfo", "processor\t: 0\nflags\t\t: fpu sse sse2 sse4_2 avx2 bmi2\n");
    expect(cpuCheck(p, "x64", "absent").severity).toBe("ok");
    // The x64 builds need SSE4.2, not AVX2 (an emulated Nehalem runs them: test/release/targets.test.ts).
    put(d.path, "cpuinfo", "processor\t: 0\nflags\t\t: fpu sse sse2 sse4_2\n");
    expect(cpuCheck(p, "x64", "absent").severity).toBe("ok");
    put(d.path, "cpuinfo", "processor\t: 0\nflags\t\t: fpu sse sse2 ssse3\n");
    expect(cpuCheck(p, "x64", "absent")).toMatchObject({ severity: "warning", fix: expect.stringContaining("SSE4.2") });
    expect(cpuCheck(p, "x64", "ran").severity).toBe("ok");
    expect(cpuCheck(p, "x64", "sigill").severity).toBe("error");
    expect(cpuCheck(p, "arm64", "absent").severity).toBe("ok");
  });
});

describe("runtime processes", () => {
  test("BUN_OPTIONS / BUN_BE_BUN / BUN_JSC_* and RLIMIT_AS ≤ 2 GiB on containerd, crio, kubelet, podman are warned about", () => {
    using d = tempDir();
    const proc = (pid: number, comm: string, env: string[], soft = "unlimited") => {
      put(d.path, `${pid}/comm`, `${comm}\n`);
      put(d.path, `${pid}/environ`, `${env.join("\0")}\0`);
      put(d.path, `${pid}/limits`, LIMITS(soft));
    };
    proc(10, "containerd", ["PATH=/usr/bin", "BUN_OPTIONS=--preload /tmp/x.js"]);
    proc(11, "kubelet", ["BUN_JSC_useJIT=0", "BUN_BE_BUN=1"]);
    proc(12, "crio", ["PATH=/usr/bin"], String(1024 ** 3));
    proc(13, "bash", ["BUN_OPTIONS=x"], "1");
    proc(14, "podman", ["PATH=/bin"], String(4 * 1024 ** 3));
    const checks = runtimeEnvChecks({ proc: d.path });
    expect(checks.map((c) => [c.id, c.severity, c.detail.split(":")[0]])).toEqual([
      ["runtime-env", "warning", "containerd (pid 10) passes BUN_OPTIONS to every plugin call"],
      ["runtime-env", "warning", "kubelet (pid 11) passes BUN_JSC_useJIT, BUN_BE_BUN to every plugin call"],
      ["runtime-limits", "warning", "crio (pid 12) limits the address space to 1024 MiB"],
    ]);
    for (const c of checks) expect(c.fix).toContain("systemctl edit");
  });

  test("clean runtimes: one ok", () => {
    using d = tempDir();
    put(d.path, "7/comm", "containerd\n");
    put(d.path, "7/environ", "PATH=/usr/bin\0");
    put(d.path, "7/limits", LIMITS("unlimited"));
    expect(runtimeEnvChecks({ proc: d.path })).toEqual([expect.objectContaining({ id: "runtime-env", severity: "ok" })]);
    expect(addressSpaceLimit(LIMITS("2147483648"))).toBe(2147483648);
  });
});

test("human output: kubeadm-style [ERROR id] / [WARNING id] lines, each followed by its fix", () => {
  const text = renderChecks([
    { id: "a", severity: "ok", detail: "fine", fix: "" },
    { id: "bridge-nf-call-iptables", severity: "error", detail: "net.bridge.bridge-nf-call-iptables = 0", fix: "sysctl -w net.bridge.bridge-nf-call-iptables=1" },
    { id: "ip-forward", severity: "warning", detail: "net.ipv4.ip_forward = 0", fix: "sysctl -w net.ipv4.ip_forward=1" },
  ]);
  expect(text).toBe(
    "[ERROR bridge-nf-call-iptables]: net.bridge.bridge-nf-call-iptables = 0\n\tfix: sysctl -w net.bridge.bridge-nf-call-iptables=1\n" +
      "[WARNING ip-forward]: net.ipv4.ip_forward = 0\n\tfix: sysctl -w net.ipv4.ip_forward=1\n" +
      "1 error, 1 warning in 3 checks (tscni doctor --json lists every check)\n",
  );
});

describe("plugins the configs name", () => {
  test("podman's firewall and tuning missing: the fix names their package, not tscni install (which does not ship them)", () => {
    using d = tempDir();
    const checks = pluginChecks(["bridge", "firewall", "tuning"], [d.path], PLUGIN_NAMES);
    expect(checks.map((c) => [c.detail.split(":")[0], c.severity])).toEqual([
      ["bridge", "error"],
      ["firewall", "error"],
      ["tuning", "error"],
    ]);
    expect(checks[0]?.fix).toBe(`tscni install --dir ${d.path}`);
    for (const c of checks.slice(1)) {
      expect(c.fix).not.toContain("tscni install");
      expect(c.fix).toContain("containernetworking-plugins");
    }
  });
});
