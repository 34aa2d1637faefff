/**
 * Which programs does tscni exec? Traced, not grepped: a whole pod lifecycle (ADD, CHECK, DEL of
 * the containerd-style chain, both masquerade backends, port mappings) runs under strace, and
 * every successful execve must be tscni itself or a firewall tool. Never a shell, never `ip`.
 * On this nf_tables node (iptables-nft) the firewall is read, written and deleted over netlink:
 * ADD, CHECK and DEL exec no firewall tool at all, for the iptables layout as for the nftables
 * backends (only user conditions, not used here, would make ADD run iptables-restore).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { distDir, exec, PLUGINS, requireIsolatedHost, SYSTEM_PATH, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

const ALLOWED = new Set([
  "tscni",
  "bridge",
  "host-local",
  "loopback",
  "portmap",
  "xtables-nft-multi",
  "xtables-legacy-multi",
  "iptables",
  "ip6tables",
  "iptables-save",
  "ip6tables-save",
  "iptables-restore",
  "ip6tables-restore",
  "iptables-nft",
  "ip6tables-nft",
  "iptables-nft-save",
  "ip6tables-nft-save",
  "iptables-nft-restore",
  "ip6tables-nft-restore",
  "iptables-legacy",
  "ip6tables-legacy",
  "nft",
]);

const PLUGIN_NAMES = new Set(["tscni", ...PLUGINS]);

function conflist(backend: "iptables" | "nftables", dataDir: string): object {
  return {
    cniVersion: "1.0.0",
    name: `net-${backend}`,
    plugins: [
      {
        type: "bridge",
        bridge: `br-${backend.slice(0, 3)}`,
        isGateway: true,
        ipMasq: true,
        ipMasqBackend: backend,
        ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.77.0.0/24" }], [{ subnet: "fd77::/64" }]], routes: [{ dst: "0.0.0.0/0" }] },
      },
      { type: "portmap", backend, capabilities: { portMappings: true } },
      { type: "loopback" },
    ],
  };
}

/** Successful execve paths from an strace -f log. */
function execs(log: string): string[] {
  return [...log.matchAll(/execve\("([^"]+)", .*\) = 0$/gm)].map((m) => m[1] ?? "");
}

describe("every program tscni starts is on the allow-list", () => {
  test.each(["iptables", "nftables"] as const)("containerd-style chain with %s masquerade and port mappings", async (backend) => {
    using dir = tempDir();
    await using ns = await tempNetns();
    writeFileSync(join(dir.path, "10-net.conflist"), JSON.stringify(conflist(backend, join(dir.path, "ipam"))));
    const env = { PATH: SYSTEM_PATH, TSCNI_FIREWALL_LOCK: join(dir.path, "fw.lock") };
    const traced: string[] = [];
    const firewallExecs: Record<string, string[]> = {};
    for (const verb of ["add", "check", "del"]) {
      const log = join(dir.path, `${verb}.strace`);
      const r = await exec(
        [
          "strace", "-f", "-qq", "-e", "trace=execve", "-o", log,
          tscni("tscni"), "run", verb, `net-${backend}`, ns.path,
          "--container-id", "ctr1", "--conf-dir", dir.path, "--bin-dir", distDir, "--cache-dir", join(dir.path, "cache"),
          "--cap-args", JSON.stringify({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }, { hostPort: 5353, containerPort: 53, protocol: "udp" }] }),
        ],
        { env },
      );
      expect({ verb, code: r.code, stderr: r.stderr }).toEqual({ verb, code: 0, stderr: "" });
      const mine = execs(readFileSync(log, "utf8"));
      traced.push(...mine);
      firewallExecs[verb] = mine.map((p) => basename(p)).filter((p) => !PLUGIN_NAMES.has(p));
    }
    for (const verb of ["add", "check", "del"]) expect({ verb, execs: firewallExecs[verb] }).toEqual({ verb, execs: [] });
    const programs = traced.map((p) => basename(p));
    expect(programs).toContain("bridge");
    expect(programs.filter((p) => !ALLOWED.has(p))).toEqual([]);
    // IPAM runs inside the bridge's process: the host-local link is never exec'd.
    expect(programs).not.toContain("host-local");
  });
});
