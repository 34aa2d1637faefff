/**
 * `tscni gc`: frees only what it can prove stale, never a young reservation, dry run by default.
 * Attachments are made with `tscni run add` against the reference host-local.
 */
import { expect, test } from "bun:test";
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, NETNS_TIMEOUT, referenceDir, requireIsolatedHost, SYSTEM_PATH, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

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

    const dry = await exec([tscni("tscni"), "gc", ...common, "--valid", "keep:eth0"], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("gcnet: would DEL stale attachment gone:eth0");
    expect(dry.stdout).toContain("gcnet: would release 10.66.0.50 (orphan:eth0)");
    expect(dry.stdout).toContain("gcnet: keep 10.66.0.51 (inflight:eth0): younger than the 600s grace period");
    expect(dry.stdout).toContain("dry run");
    expect(readdirSync(dir).sort()).toEqual(["10.66.0.2", "10.66.0.3", "10.66.0.50", "10.66.0.51", "last_reserved_ip.0", "lock"]);

    const applied = await exec([tscni("tscni"), "gc", ...common, "--valid", "keep:eth0", "--apply"], env);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
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
