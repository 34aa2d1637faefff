/**
 * `tscni gc` and the grace period, end to end: a pod ADDed through `tscni run` (bridge with
 * masquerading, host-local, portmap with a mapping: a reservation, a cache entry, iptables chains)
 * is left completely alone by an immediate `gc --apply` with the default grace period, even
 * though nothing lists it as in use; once its files are older than the grace it is freed, and the
 * dry run printed exactly what --apply then printed and did.
 */
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { masqChainName, portmapDnatChainName } from "../../src/firewall/names.ts";
import { distDir, exec, mustExec, NETNS_TIMEOUT, requireIsolatedHost, SYSTEM_PATH, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

const env = { env: { PATH: SYSTEM_PATH } };

function age(...paths: string[]): void {
  const then = new Date(Date.now() - 2 * 3600 * 1000);
  for (const p of paths) utimesSync(p, then, then);
}

function setup(root: string) {
  const confDir = join(root, "net.d");
  const dataDir = join(root, "data");
  const cacheDir = join(root, "cache");
  mkdirSync(confDir);
  writeFileSync(
    join(confDir, "10-pods.conflist"),
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "pods",
      plugins: [
        { type: "bridge", bridge: "gc0", isGateway: true, ipMasq: true, ipam: { type: "host-local", ranges: [[{ subnet: "10.91.0.0/24" }]], dataDir } },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    }),
  );
  const dirs = ["--conf-dir", confDir, "--bin-dir", distDir, "--cache-dir", cacheDir];
  return { dirs, dataDir: join(dataDir, "pods"), results: join(cacheDir, "results") };
}

/** The nat table without iptables-save's time-stamped comment lines. */
const chains = async (): Promise<string> =>
  (await mustExec(["iptables-save", "-t", "nat"])).split("\n").filter((l) => !l.startsWith("#")).join("\n");

test(
  "a pod seconds old survives gc --apply with the default grace even when nothing lists it; aged past the grace it is freed; dry run = apply",
  async () => {
    using d = tempDir();
    await using ns = await tempNetns();
    const s = setup(d.path);
    const capArgs = JSON.stringify({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
    const add = await exec([tscni("tscni"), "run", "add", "pods", ns.path, "--container-id", "pod1", "--cap-args", capArgs, ...s.dirs], env);
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    const masq = masqChainName("pods", "pod1");
    const dnat = portmapDnatChainName("pods", "pod1");
    const before = await chains();
    expect(before).toContain(`:${masq}`);
    expect(before).toContain(`:${dnat}`);
    const state = () => ({ ips: readdirSync(s.dataDir).sort(), cache: readdirSync(s.results), chains: before });

    // The runtime lists nothing as in use (--valid ""): the pod is only protected by its age.
    const gc = (extra: string[]) => exec([tscni("tscni"), "gc", ...s.dirs, "--valid", "", ...extra], env);
    const now = await gc(["--apply"]);
    expect(now.code).toBe(0);
    expect(now.stdout).toBe('keep    network "pods": attachment pod1:eth0: cache entry or reservation written within the 600 s grace period\n');
    expect({ ...state(), chains: await chains() }).toEqual(state());

    // The cache entry lost (a runtime that never wrote one): the reservation still dates the pod.
    rmSync(join(s.results, "pods-pod1-eth0"));
    const uncached = await gc(["--apply"]);
    expect(uncached.stdout).toBe('keep    network "pods": 10.91.0.2 of pod1:eth0: reserved within the 600 s grace period\n');
    expect(readdirSync(s.dataDir)).toContain("10.91.0.2");
    expect(await chains()).toContain(`:${masq}`);

    age(join(s.dataDir, "10.91.0.2"));
    const dry = await gc([]);
    const lines = dry.stdout.trim().split("\n");
    expect(lines[0]).toBe('release network "pods": 10.91.0.2 of pod1:eth0');
    expect(lines).toContain(`remove  network "pods": iptables masquerade chain ${masq} (ipv4) of pod1`);
    expect(lines).toContain(`remove  network "pods": iptables portmap chain ${dnat} (ipv4) of pod1`);
    expect(dry.stderr).toBe("dry run: nothing changed (use --apply to do the above)\n");
    expect(await chains()).toBe(before);

    const applied = await gc(["--apply"]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe(dry.stdout);
    expect(readdirSync(s.dataDir)).not.toContain("10.91.0.2");
    const after = await chains();
    expect(after).not.toContain(masq);
    expect(after).not.toContain(dnat);
    expect((await gc([])).stdout).toBe("nothing stale\n");
  },
  NETNS_TIMEOUT,
);

test(
  "a cached pod aged past the grace is DELeted through its chain: cache entry, reservation and chains gone",
  async () => {
    using d = tempDir();
    await using ns = await tempNetns();
    const s = setup(d.path);
    const capArgs = JSON.stringify({ portMappings: [{ hostPort: 8081, containerPort: 80, protocol: "tcp" }] });
    expect((await exec([tscni("tscni"), "run", "add", "pods", ns.path, "--container-id", "pod2", "--cap-args", capArgs, ...s.dirs], env)).code).toBe(0);
    age(join(s.results, "pods-pod2-eth0"), join(s.dataDir, "10.91.0.2"));
    const args = [tscni("tscni"), "gc", ...s.dirs, "--valid", ""];
    const dry = await exec(args, env);
    expect(dry.stdout).toBe('del     network "pods": attachment pod2:eth0 (cached, not in use)\n');
    const applied = await exec([...args, "--apply"], env);
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toBe(dry.stdout);
    expect(existsSync(join(s.results, "pods-pod2-eth0"))).toBe(false);
    expect(readdirSync(s.dataDir)).not.toContain("10.91.0.2");
    expect(await chains()).not.toContain(masqChainName("pods", "pod2"));
  },
  NETNS_TIMEOUT,
);

test("a missing or empty conf dir is an error, not 'nothing stale'", async () => {
  using d = tempDir();
  for (const confDir of [join(d.path, "nope"), d.path]) {
    const r = await exec([tscni("tscni"), "gc", "--conf-dir", confDir, "--cache-dir", join(d.path, "c"), "--valid", ""], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(confDir);
  }
});
