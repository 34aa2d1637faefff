/**
 * Which programs does tscni exec? Traced, not grepped: a whole pod lifecycle (ADD, CHECK, DEL of
 * the containerd-style chain, both masquerade backends, port mappings) runs under strace, and
 * every successful execve must be tscni itself or a firewall tool. Never a shell, never `ip`.
 * On this nf_tables node the firewall is read and deleted over netlink: CHECK and DEL exec no
 * firewall tool at all; ADD execs one iptables-restore per plugin and address family for the
 * iptables layout, and nothing for the nftables backends (written over netlink too).
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

/** Firewall-tool execs allowed per verb: ADD one per plugin (bridge masquerade, portmap) and family. */
const MAX_FIREWALL_EXECS: Readonly<Record<"iptables" | "nftables", Record<string, number>>> = {
  iptables: { add: 4, check: 0, del: 0 },
  nftables: { add: 0, check: 0, del: 0 },
};

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
    const limits = MAX_FIREWALL_EXECS[backend];
    for (const verb of ["check", "del"]) expect({ verb, execs: firewallExecs[verb] }).toEqual({ verb, execs: [] });
    expect(firewallExecs.add?.length ?? 0).toBeLessThanOrEqual(limits.add ?? 0);
    if (backend === "iptables") expect(firewallExecs.add?.every((p) => /-restore$/.test(p) || p === "xtables-nft-multi")).toBe(true);
    const programs = traced.map((p) => basename(p));
    expect(programs).toContain("bridge");
    expect(programs.filter((p) => !ALLOWED.has(p))).toEqual([]);
    // IPAM runs inside the bridge's process: the host-local link is never exec'd.
    expect(programs).not.toContain("host-local");
  });
});
