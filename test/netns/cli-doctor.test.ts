/**
 * `tscni doctor` on a deliberately broken node: forwarding off, a masquerade chain and nft rules
 * and a host-local reservation nobody's cache entry owns, a duplicated jump, a `cni0` that is a
 * veth, a plugin name in tscni's bin dir held by another program, an unparsable conflist.
 * Each must be reported (JSON and human), and doctor must change nothing.
 */
import { expect, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { masqChainName, masqComment, nftMasqComment, nftMasqInstanceHash } from "../../src/firewall/index.ts";
import { exec, mustExec, NETNS_TIMEOUT, referenceDir, requireIsolatedHost, SYSTEM_PATH, tempDir, tscni } from "../harness.ts";

requireIsolatedHost();

interface Finding {
  check: string;
  level: "ok" | "warn" | "error";
  detail: string;
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
    const r = await exec([tscni("tscni"), "doctor", "--json", "--conf-dir", confDir, "--bin-dir", referenceDir, "--cache-dir", d.path], env);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    expect(findings.filter((f) => f.check === "chains")).toEqual([
      { check: "chains", level: "ok", detail: "0 CNI firewall objects, each owned by a cached attachment" },
    ]);
    expect(findings.filter((f) => f.check === "link")).toEqual([]);
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

    expect((await exec([tscni("tscni"), "install", "--dir", bin], env)).code).toBe(0);
    rmSync(join(bin, "portmap"));
    symlinkSync(join(referenceDir, "portmap"), join(bin, "portmap"));

    writeFileSync("/proc/sys/net/ipv4/ip_forward", "0");
    await mustExec(["ip", "link", "add", "cni0", "type", "veth", "peer", "name", "cni0-peer"]);

    // Left behind by a crash: a reservation, a masquerade chain (jumped to twice) and nft rules.
    mkdirSync(join(dataDir, "docnet"), { recursive: true });
    writeFileSync(join(dataDir, "docnet", "10.77.0.9"), "ghost\r\neth0");
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
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    const has = (check: string, level: Finding["level"], text: string): void => {
      const hit = findings.find((f) => f.check === check && f.level === level && f.detail.includes(text));
      expect(hit ?? { check, level, text, findings }).toEqual(expect.objectContaining({ check, level }));
    };
    has("sysctl", "warn", "net.ipv4.ip_forward = 0");
    has("chains", "warn", `stale masquerade chain ${chain} (ipv4)`);
    has("chains", "warn", `stale nft masquerade rules ${instance}`);
    has("chains", "warn", `duplicate rule in ipv4 POSTROUTING (2×)`);
    has("ipam", "warn", "10.77.0.9 (ghost)");
    has("link", "error", "cni0 is a veth, not a bridge");
    has("install", "warn", `${join(bin, "portmap")} is not tscni (→ ${join(referenceDir, "portmap")})`);
    has("config", "error", "20-broken.conflist: cannot be loaded");

    const human = await exec([tscni("tscni"), ...args], env);
    expect(human.code).toBe(1);
    for (const text of [chain, instance, "10.77.0.9 (ghost)", "cni0 is a veth", "ip_forward = 0", "20-broken.conflist", `${bin}/portmap is not tscni`]) {
      expect(human.stdout).toContain(text);
    }
    expect(human.stdout).toMatch(/^✗ link {5}cni0 is a veth/m);

    // Read-only: the firewall is as it was, and the stale reservation is still there.
    expect(await firewall()).toBe(before);
    expect(await Bun.file(join(dataDir, "docnet", "10.77.0.9")).exists()).toBe(true);
  },
  NETNS_TIMEOUT,
);
