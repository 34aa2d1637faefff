/**
 * `tscni gc`: frees only what it can prove stale, never a young reservation, dry run by default.
 * Attachments are made with `tscni run add` against the reference host-local.
 */
import { expect, test } from "bun:test";
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { masqChainName, masqComment, nftMasqComment, nftMasqInstanceHash, portmapDnatChainName, portmapDnatComment } from "../../src/firewall/names.ts";
import { exec, mustExec, NETNS_TIMEOUT, referenceDir, requireIsolatedHost, SYSTEM_PATH, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

/** Makes files look as if written two hours ago (past the default 600 s grace period). */
function age(...paths: string[]): void {
  const then = new Date(Date.now() - 2 * 3600 * 1000);
  for (const p of paths) utimesSync(p, then, then);
}

test(
  "stale cached attachments are DELeted and orphan reservations released; young and valid ones kept",
  async () => {
    using d = tempDir();
    await using ns1 = await tempNetns();
    await using ns2 = await tempNetns();
    const confDir = join(d.path, "net.d");
    const dataDir = join(d.path, "data");
    const cacheDir = join(d.path, "cache");
    mkdirSync(confDir);
    writeFileSync(
      join(confDir, "10.conflist"),
      JSON.stringify({ cniVersion: "1.0.0", name: "gcnet", plugins: [{ type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "10.66.0.0/24" }]], dataDir } }] }),
    );
    const common = ["--conf-dir", confDir, "--bin-dir", referenceDir, "--cache-dir", cacheDir];
    const env = { env: { PATH: SYSTEM_PATH } };
    expect((await exec([tscni("tscni"), "run", "add", "gcnet", ns1.path, "--container-id", "keep", ...common], env)).code).toBe(0);
    expect((await exec([tscni("tscni"), "run", "add", "gcnet", ns2.path, "--container-id", "gone", ...common], env)).code).toBe(0);
    const dir = join(dataDir, "gcnet");
    // An orphan from before a reboot (no cache entry, old) and one an ADD is making right now (fresh).
    writeFileSync(join(dir, "10.66.0.50"), "orphan\r\neth0");
    utimesSync(join(dir, "10.66.0.50"), new Date(0), new Date(0));
    writeFileSync(join(dir, "10.66.0.51"), "inflight\r\neth0");
    // "gone" was added long ago.
    age(join(cacheDir, "results", "gcnet-gone-eth0"), join(dir, "10.66.0.3"));

    const dry = await exec([tscni("tscni"), "gc", ...common, "--valid", "keep:eth0"], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      [
        'del     network "gcnet": attachment gone:eth0 (cached, not in use)',
        'release network "gcnet": 10.66.0.50 of orphan:eth0',
        'keep    network "gcnet": 10.66.0.51 of inflight:eth0: reserved within the 600 s grace period',
        "",
      ].join("\n"),
    );
    expect(dry.stderr).toBe("dry run: nothing changed (use --apply to do the above)\n");
    expect(readdirSync(dir).sort()).toEqual(["10.66.0.2", "10.66.0.3", "10.66.0.50", "10.66.0.51", "last_reserved_ip.0", "lock"]);

    const applied = await exec([tscni("tscni"), "gc", ...common, "--valid", "keep:eth0", "--apply"], env);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe(dry.stdout);
    expect(readdirSync(dir).sort()).toEqual(["10.66.0.2", "10.66.0.51", "last_reserved_ip.0", "lock"]);
    expect(readdirSync(join(cacheDir, "results"))).toEqual(["gcnet-keep-eth0"]);
  },
  NETNS_TIMEOUT,
);

test(
  "--from-netns-dir: a cached attachment whose netns file is gone is stale",
  async () => {
    using d = tempDir();
    await using ns = await tempNetns();
    const confDir = join(d.path, "net.d");
    const netnsDir = join(d.path, "netns");
    mkdirSync(confDir);
    mkdirSync(netnsDir);
    writeFileSync(
      join(confDir, "10.conflist"),
      JSON.stringify({ cniVersion: "1.0.0", name: "gcnet", plugins: [{ type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "10.66.0.0/24" }]], dataDir: join(d.path, "data") } }] }),
    );
    const common = ["--conf-dir", confDir, "--bin-dir", referenceDir, "--cache-dir", join(d.path, "cache")];
    const env = { env: { PATH: SYSTEM_PATH } };
    // The runtime recorded a netns path under its netns dir that no longer exists (reboot).
    const gonePath = join(netnsDir, "cni-1234");
    writeFileSync(gonePath, "");
    expect((await exec([tscni("tscni"), "run", "add", "gcnet", ns.path, "--container-id", "live", ...common], env)).code).toBe(0);
    const r = await exec([tscni("tscni"), "gc", ...common, "--from-netns-dir", netnsDir], env);
    expect(r.code).toBe(0);
    // ns.path is /proc/<pid>/ns/net: outside the netns dir and alive, so it is kept.
    expect(r.stdout).toBe("nothing stale\n");
  },
  NETNS_TIMEOUT,
);

/** A masquerade chain, a portmap DNAT chain and nft rules as bridge/portmap leave them for `cid`. */
async function leaveFirewallObjects(network: string, cid: string, ip: string): Promise<void> {
  const masq = masqChainName(network, cid);
  const dnat = portmapDnatChainName(network, cid);
  for (const args of [
    ["-N", masq],
    // Commented like the plugin's own rules: an uncommented rule in the chain would be foreign, and gc would keep the chain.
    ["-A", masq, "-d", "10.66.0.0/24", "-m", "comment", "--comment", masqComment(network, cid), "-j", "ACCEPT"],
    ["-A", "POSTROUTING", "-s", `${ip}/32`, "-m", "comment", "--comment", masqComment(network, cid), "-j", masq],
    ["-N", dnat],
    ["-A", dnat, "-p", "tcp", "--dport", "8080", "-j", "DNAT", "--to-destination", `${ip}:80`],
    ["-A", "CNI-HOSTPORT-DNAT", "-p", "tcp", "-m", "comment", "--comment", portmapDnatComment(network, cid), "-j", dnat],
  ]) {
    await mustExec(["iptables", "-t", "nat", ...args]);
  }
  const comment = nftMasqComment(network, "eth0", cid);
  await mustExec(["nft", `add rule inet cni_plugins_masquerade masq_checks ip saddr ${ip} masquerade comment "${comment}"`]);
  // The plugins' own shape: a counter (or any statement the typed model does not know) makes the rule foreign, and gc keeps it.
  await mustExec(["nft", `add rule ip cni_hostport hostports tcp dport 8080 dnat to ${ip}:80 comment "${cid}"`]);
}

test(
  "firewall objects without a cache entry: listed in a dry run, removed with --apply; valid and other networks' kept",
  async () => {
    using d = tempDir();
    const confDir = join(d.path, "net.d");
    mkdirSync(confDir);
    writeFileSync(
      join(confDir, "10.conflist"),
      JSON.stringify({
        cniVersion: "1.0.0",
        name: "gcnet",
        plugins: [
          { type: "bridge", bridge: "cni0", ipMasq: true, ipam: { type: "host-local", ranges: [[{ subnet: "10.66.0.0/24" }]], dataDir: join(d.path, "data") } },
          { type: "portmap", capabilities: { portMappings: true } },
        ],
      }),
    );
    await mustExec(["iptables", "-t", "nat", "-N", "CNI-HOSTPORT-DNAT"]);
    await mustExec(["nft", "add table inet cni_plugins_masquerade; add chain inet cni_plugins_masquerade masq_checks"]);
    await mustExec(["nft", "add table ip cni_hostport; add chain ip cni_hostport hostports"]);
    await leaveFirewallObjects("gcnet", "ghost", "10.66.0.5");
    await leaveFirewallObjects("gcnet", "keep", "10.66.0.6");
    // An ADD still running: address reserved a moment ago, rules written, no cache entry yet.
    mkdirSync(join(d.path, "data", "gcnet"), { recursive: true });
    writeFileSync(join(d.path, "data", "gcnet", "10.66.0.7"), "inflight\r\neth0");
    await leaveFirewallObjects("gcnet", "inflight", "10.66.0.7");
    // Another runtime's network, not in this conf dir: its iptables and nft masquerade objects are not ours to judge.
    await leaveFirewallObjects("othernet", "ghost2", "10.67.0.5");
    const common = ["--conf-dir", confDir, "--bin-dir", referenceDir, "--cache-dir", join(d.path, "cache"), "--valid", "keep:eth0,ghost2"];
    const env = { env: { PATH: SYSTEM_PATH } };
    const ghostMasq = masqChainName("gcnet", "ghost");
    const ghostDnat = portmapDnatChainName("gcnet", "ghost");
    const keepGhost = 'keep    network "gcnet": iptables masquerade chain';

    // ghost has no reservation, and the network's state changed a moment ago: its reservation may
    // have been released seconds ago, so its objects are young too.
    const early = await exec([tscni("tscni"), "gc", ...common, "--apply"], env);
    expect(early.code).toBe(0);
    expect(early.stdout).toContain(`${keepGhost} ${ghostMasq} (ipv4) of ghost: state of its network last changed within the 600 s grace period`);
    expect(early.stdout).not.toContain("remove");
    expect(await mustExec(["iptables-save", "-t", "nat"])).toContain(ghostMasq);

    age(join(d.path, "data", "gcnet"));
    const dry = await exec([tscni("tscni"), "gc", ...common], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`remove  network "gcnet": iptables masquerade chain ${ghostMasq} (ipv4) of ghost`);
    expect(dry.stdout).toContain(`remove  network "gcnet": iptables portmap chain ${ghostDnat} (ipv4) of ghost`);
    expect(dry.stdout).toContain(`remove  network "gcnet": nft masquerade rules ${nftMasqInstanceHash("gcnet", "eth0", "ghost")} (inet cni_plugins_masquerade) of ghost`);
    expect(dry.stdout).toContain("remove  all networks: nft portmap rules of ghost (ip cni_hostport)");
    expect(dry.stdout).toContain('keep    network "gcnet": 10.66.0.7 of inflight:eth0: reserved within the 600 s grace period');
    const removals = dry.stdout.split("\n").filter((l) => l.startsWith("remove"));
    expect(removals).toHaveLength(4);
    // Only ghost's objects: keep's are valid, inflight's are dated by its young reservation.
    for (const l of removals) expect(l).toMatch(/ of ghost( \(ip cni_hostport\))?$/);
    expect(dry.stdout).not.toContain("othernet");
    expect(dry.stdout.trim().split("\n")).toHaveLength(5);
    expect(await mustExec(["iptables-save", "-t", "nat"])).toContain(ghostMasq);

    const json = JSON.parse((await exec([tscni("tscni"), "gc", ...common, "--json"], env)).stdout) as { schemaVersion: number; ok: boolean; actions: { kind: string; done: boolean }[] };
    expect(json.schemaVersion).toBe(1);
    expect(json.ok).toBe(true);
    expect(json.actions.map((a) => a.kind)).toEqual(["keep-young", ...Array(4).fill("remove-firewall")]);

    const applied = await exec([tscni("tscni"), "gc", ...common, "--apply"], env);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe(dry.stdout);
    const ipt = await mustExec(["iptables-save", "-t", "nat"]);
    expect(ipt).not.toContain(ghostMasq);
    expect(ipt).not.toContain(ghostDnat);
    for (const kept of [masqChainName("gcnet", "keep"), portmapDnatChainName("gcnet", "keep"), masqChainName("gcnet", "inflight"), masqChainName("othernet", "ghost2")]) {
      expect(ipt).toContain(`-j ${kept}`);
    }
    const nft = await mustExec(["nft", "list", "ruleset"]);
    expect(nft).not.toContain('comment "ghost"');
    expect(nft).not.toContain(nftMasqInstanceHash("gcnet", "eth0", "ghost"));
    expect(nft).toContain('comment "keep"');
    expect(nft).toContain(nftMasqInstanceHash("gcnet", "eth0", "keep"));
    expect(nft).toContain(nftMasqInstanceHash("othernet", "eth0", "ghost2"));

    expect(nft).toContain('comment "inflight"');
    const again = await exec([tscni("tscni"), "gc", ...common], env);
    expect(again.stdout).toBe('keep    network "gcnet": 10.66.0.7 of inflight:eth0: reserved within the 600 s grace period\n');
    expect(again.stderr).toBe("");
  },
  NETNS_TIMEOUT,
);
