/**
 * `tscni doctor` on a deliberately broken node: forwarding off, a masquerade chain and nft rules
 * and a host-local reservation nobody's cache entry owns, a duplicated jump, a `cni0` that is a
 * veth, a plugin name in tscni's bin dir held by another program, an unparsable conflist.
 * Each must be reported (JSON and human), and doctor must change nothing.
 */
import { expect, test } from "bun:test";
import { appendFileSync, copyFileSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { masqChainName, masqComment, nftMasqComment, nftMasqInstanceHash } from "../../src/firewall/names.ts";
import { exec, mustExec, NETNS_TIMEOUT, referenceDir, requireIsolatedHost, SYSTEM_PATH, tempDir, tscni } from "../harness.ts";

requireIsolatedHost();

interface Check {
  id: string;
  severity: "ok" | "warning" | "error";
  detail: string;
  fix: string;
}

interface Report {
  schemaVersion: number;
  ok: boolean;
  checks: Check[];
}

const env = { env: { PATH: SYSTEM_PATH } };

test(
  "a clean node (checked first: the host is shared by this file): firewall and link checks say ok",
  async () => {
    using d = tempDir();
    const confDir = join(d.path, "net.d");
    mkdirSync(confDir);
    writeFileSync(
      join(confDir, "10.conflist"),
      JSON.stringify({ cniVersion: "1.0.0", name: "clean", plugins: [{ type: "loopback" }] }),
    );
    for (const key of ["iptables", "ip6tables"]) writeFileSync(`/proc/sys/net/bridge/bridge-nf-call-${key}`, "1");
    const r = await exec([tscni("tscni"), "doctor", "--json", "--conf-dir", confDir, "--bin-dir", referenceDir, "--cache-dir", d.path], env);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.schemaVersion).toBe(1);
    const byId = (id: string) => report.checks.filter((c) => c.id === id).map((c) => c.severity);
    for (const id of ["duplicate-rule", "stale-reservations", "stale-firewall", "br-netfilter", "bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "kernel-veth", "kernel-bridge", "runtime-env"]) {
      expect({ id, severities: byId(id) }).toEqual({ id, severities: ["ok"] });
    }
    expect(byId("bridge-link")).toEqual([]);
    for (const c of report.checks) expect(Object.keys(c)).toEqual(["id", "severity", "detail", "fix"]);
    expect(report.ok).toBe(report.checks.every((c) => c.severity !== "error"));
    expect(r.code).toBe(report.ok ? 0 : 1);
  },
  NETNS_TIMEOUT,
);

test(
  "reports each problem of a broken setup, read-only",
  async () => {
    using d = tempDir();
    const confDir = join(d.path, "net.d");
    const bin = join(d.path, "bin");
    const dataDir = join(d.path, "data");
    const cacheDir = join(d.path, "cache");
    mkdirSync(confDir);
    writeFileSync(
      join(confDir, "10-docnet.conflist"),
      JSON.stringify({
        cniVersion: "1.0.0",
        name: "docnet",
        plugins: [{ type: "bridge", bridge: "cni0", ipMasq: true, ipam: { type: "host-local", ranges: [[{ subnet: "10.77.0.0/24" }]], dataDir } }],
      }),
    );
    writeFileSync(join(confDir, "20-broken.conflist"), "{ not json");
    // Same network name in a later file: runtimes load only the first.
    writeFileSync(join(confDir, "30-docnet-copy.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "docnet", plugins: [{ type: "loopback" }] }));

    expect((await exec([tscni("tscni"), "install", "--dir", bin], env)).code).toBe(0);
    rmSync(join(bin, "portmap"));
    symlinkSync(join(referenceDir, "portmap"), join(bin, "portmap"));

    writeFileSync("/proc/sys/net/ipv4/ip_forward", "0");
    writeFileSync("/proc/sys/net/bridge/bridge-nf-call-iptables", "0");
    await mustExec(["ip", "link", "add", "cni0", "type", "veth", "peer", "name", "cni0-peer"]);

    // Left behind by a crash: a reservation, a masquerade chain (jumped to twice) and nft rules.
    mkdirSync(join(dataDir, "docnet"), { recursive: true });
    writeFileSync(join(dataDir, "docnet", "10.77.0.9"), "ghost\r\neth0");
    // …long ago: younger, it could be an ADD still running, and gc (so doctor) would keep it.
    const then = new Date(Date.now() - 3600 * 1000);
    utimesSync(join(dataDir, "docnet", "10.77.0.9"), then, then);
    const chain = masqChainName("docnet", "ghost");
    await mustExec(["iptables", "-t", "nat", "-N", chain]);
    const jump = ["-s", "10.77.0.9/32", "-m", "comment", "--comment", masqComment("docnet", "ghost"), "-j", chain];
    await mustExec(["iptables", "-t", "nat", "-A", "POSTROUTING", ...jump]);
    await mustExec(["iptables", "-t", "nat", "-A", "POSTROUTING", ...jump]);
    const instance = nftMasqInstanceHash("docnet", "eth0", "ghost");
    await mustExec([
      "nft",
      `add table inet cni_plugins_masquerade; add chain inet cni_plugins_masquerade masq_checks; add rule inet cni_plugins_masquerade masq_checks ip saddr 10.77.0.9 masquerade comment "${nftMasqComment("docnet", "eth0", "ghost")}"`,
    ]);
    // iptables-save stamps its "#" lines with the time: compare the rules only.
    const firewall = async (): Promise<string> =>
      ((await mustExec(["iptables-save", "-t", "nat"])) + (await mustExec(["nft", "list", "ruleset"]))).replace(/^#.*\n/gm, "");
    const before = await firewall();

    const args = ["doctor", "--conf-dir", confDir, "--bin-dir", bin, "--cache-dir", cacheDir];
    const r = await exec([tscni("tscni"), ...args, "--json"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ok).toBe(false);
    const has = (id: string, severity: Check["severity"], text: string): void => {
      const hit = report.checks.find((c) => c.id === id && c.severity === severity && c.detail.includes(text));
      expect(hit ?? { id, severity, text, checks: report.checks }).toEqual(expect.objectContaining({ id, severity, fix: expect.stringMatching(/./) }));
    };
    has("ip-forward", "warning", "net.ipv4.ip_forward = 0");
    has("bridge-nf-call-iptables", "error", "net.bridge.bridge-nf-call-iptables = 0");
    has("stale-firewall", "warning", `iptables masquerade chain ${chain} (ipv4)`);
    has("stale-firewall", "warning", `nft masquerade rules ${instance}`);
    has("duplicate-rule", "warning", `duplicate rule in ipv4 POSTROUTING (2×)`);
    has("stale-reservations", "warning", "10.77.0.9 of ghost:eth0");
    has("bridge-link", "error", "cni0 is a veth, not a bridge");
    has("install", "warning", `${join(bin, "portmap")} is not tscni (→ ${join(referenceDir, "portmap")})`);
    has("config", "error", "20-broken.conflist: cannot be loaded");
    // The shadowed copy is reported once, by the duplicate-name finding (not also as config-shadowed).
    expect(report.checks.filter((c) => c.id === "config-shadowed")).toEqual([]);
    has("config-duplicate-name", "warning", `network "docnet" is defined 2 times in ${confDir}: runtimes use 10-docnet.conflist`);

    const human = await exec([tscni("tscni"), ...args], env);
    expect(human.code).toBe(1);
    for (const text of [chain, instance, "10.77.0.9 of ghost", "cni0 is a veth", "ip_forward = 0", "20-broken.conflist", `${bin}/portmap is not tscni`]) {
      expect(human.stdout).toContain(text);
    }
    expect(human.stdout).toMatch(/^\[ERROR bridge-link\]: cni0 is a veth, not a bridge: bridge ADD will fail\n\tfix: /m);
    expect(human.stdout).toMatch(/^\[ERROR bridge-nf-call-iptables\]: /m);
    expect(human.stdout).toMatch(/^\d+ errors, \d+ warnings in \d+ checks/m);

    // Read-only: the firewall is as it was, and the stale reservation is still there.
    expect(await firewall()).toBe(before);
    expect(await Bun.file(join(dataDir, "docnet", "10.77.0.9")).exists()).toBe(true);
  },
  NETNS_TIMEOUT,
);

test(
  "a runtime process carrying BUN_OPTIONS and a 1 GiB address space limit is warned about",
  async () => {
    using d = tempDir();
    // A sleeper whose name (comm) is "containerd", started with the variables and the limit.
    const fake = join(d.path, "containerd");
    copyFileSync("/bin/sleep", fake);
    const sleeper = Bun.spawn(["prlimit", `--as=${1024 ** 3}`, "--", fake, "60"], {
      env: { PATH: SYSTEM_PATH, BUN_OPTIONS: "--preload /tmp/evil.js", BUN_JSC_useJIT: "0" },
      stdout: "ignore",
      stderr: "ignore",
    });
    try {
      let r = await exec([tscni("tscni"), "doctor", "--json", "--conf-dir", d.path, "--bin-dir", referenceDir, "--cache-dir", d.path], env);
      // prlimit execs the sleeper in place: wait until /proc shows it under its new name.
      for (let i = 0; i < 50 && !r.stdout.includes("containerd (pid"); i++) {
        await Bun.sleep(100);
        r = await exec([tscni("tscni"), "doctor", "--json", "--conf-dir", d.path, "--bin-dir", referenceDir, "--cache-dir", d.path], env);
      }
      const checks = (JSON.parse(r.stdout) as Report).checks;
      expect(checks.find((c) => c.id === "runtime-env")).toMatchObject({
        severity: "warning",
        detail: expect.stringContaining(`containerd (pid ${sleeper.pid}) passes BUN_OPTIONS, BUN_JSC_useJIT to every plugin call`),
      });
      expect(checks.find((c) => c.id === "runtime-limits")).toMatchObject({
        severity: "warning",
        detail: expect.stringContaining(`containerd (pid ${sleeper.pid}) limits the address space to 1024 MiB`),
      });
    } finally {
      sleeper.kill();
      await sleeper.exited;
    }
  },
  NETNS_TIMEOUT,
);

test(
  "the installed tscni: version and checksum checked; an altered binary is an error",
  async () => {
    using d = tempDir();
    const bin = join(d.path, "bin");
    expect((await exec([tscni("tscni"), "install", "--dir", bin], env)).code).toBe(0);
    const doctor = async () =>
      (JSON.parse((await exec([tscni("tscni"), "doctor", "--json", "--conf-dir", d.path, "--bin-dir", bin, "--cache-dir", d.path], env)).stdout) as Report).checks;
    const before = await doctor();
    expect(before.find((c) => c.id === "binary-integrity")?.severity).toBe("ok");
    expect(before.find((c) => c.id === "tscni-version")).toMatchObject({ severity: "ok", detail: expect.stringContaining("the same as this tscni") });
    appendFileSync(join(bin, "tscni"), "x");
    expect((await doctor()).find((c) => c.id === "binary-integrity")).toMatchObject({ severity: "error", detail: expect.stringContaining("does not match its recorded checksum") });
  },
  NETNS_TIMEOUT,
);
