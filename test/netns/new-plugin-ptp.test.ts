/**
 * A ptp-like plugin (veth pair, host-side gateway address and route, IPAM, ipMasq) is its folder
 * plus one registry line, built from src/ alone (src/container's attachment machinery, the
 * firewall seam through it) in under 150 lines: a copy of the tree gets it, the real build script
 * compiles it, and ADD/CHECK/GC/DEL run through its link in a netns, `tscni validate` checks a
 * config using it with its own checks, and `tscni gc` frees what it left.
 */
import { expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, mustExec, NETNS_TIMEOUT, repoRoot, requireIsolatedHost, runCni, SYSTEM_PATH, tempDir, tempNetns } from "../harness.ts";

requireIsolatedHost();

const NAME = "ptpish";
const SOURCE = join(repoRoot, "test", "fixtures", NAME, "index.ts.txt");

/** The registry with one more entry, written the way the existing ones are. */
function withEntry(registry: string): string {
  const anchor = /^(\s*)loopback: (.*)$/m;
  const m = anchor.exec(registry);
  if (m === null) throw new Error("plugins/registry.ts has no loopback entry to copy the form of");
  return registry.replace(anchor, `${m[0]}\n${m[1]}${NAME}: async () => (await import("./${NAME}/index.ts")).${NAME},`);
}

const firewall = async (): Promise<string> => (await mustExec(["nft", "list", "ruleset"])) + (await exec(["iptables-save", "-t", "nat"])).stdout;

test(
  "a ptp-like plugin from src/container: ADD, CHECK, GC, DEL through its link, validate and tscni gc over it",
  async () => {
    using tmp = tempDir("tscni-ptp-");
    const tree = join(tmp.path, "tree");
    for (const part of ["src", "plugins", "build", "package.json", "tsconfig.json"]) cpSync(join(repoRoot, part), join(tree, part), { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(tree, "node_modules"));
    const source = readFileSync(SOURCE, "utf8");
    expect(source.split("\n").length).toBeLessThan(150);
    mkdirSync(join(tree, "plugins", NAME));
    writeFileSync(join(tree, "plugins", NAME, "index.ts"), source);
    const registry = join(tree, "plugins", "registry.ts");
    writeFileSync(registry, withEntry(readFileSync(registry, "utf8")));

    const dist = join(tmp.path, "dist");
    const build = await exec([process.execPath, join(tree, "build", "compile.ts"), "--outfile", join(dist, "tscni")], { cwd: tree, env: { PATH: SYSTEM_PATH } });
    expect(build.stderr).toBe("");
    expect(build.code).toBe(0);

    const dataDir = join(tmp.path, "data");
    const ipam = { type: "host-local", dataDir, ranges: [[{ subnet: "10.91.0.0/24" }]], routes: [{ dst: "0.0.0.0/0" }] };
    const conf = { cniVersion: "1.1.0", name: "ptpnet", type: NAME, ipMasq: true, ipam };
    await using pod = await tempNetns({ lo: true });
    const call = (command: string, containerId: string, stdin: object) =>
      runCni(join(dist, NAME), { command, containerId, netns: pod.path, ifname: "eth0", path: dist, stdin });

    const add = await call("ADD", "c1", conf);
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    const result = add.json as { ips: { address: string; gateway: string }[]; interfaces: { name: string }[] };
    expect(result.ips).toEqual([{ address: "10.91.0.2/24", gateway: "10.91.0.1", interface: 1 }] as never);
    const hostEnd = result.interfaces[0]?.name ?? "";
    expect(await mustExec(["ip", "-4", "addr", "show", "dev", hostEnd])).toContain("inet 10.91.0.1/32");
    expect(await mustExec(["ip", "route", "show", "10.91.0.2"])).toContain(`dev ${hostEnd}`);
    const ping = await pod.run(["ping", "-c", "1", "-W", "2", "10.91.0.1"]);
    expect(ping.code).toBe(0);
    expect(await firewall()).toContain("10.91.0.2");

    const check = await call("CHECK", "c1", { ...conf, prevResult: add.json });
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);

    // GC keeping c1 keeps everything; DEL takes it all away.
    const keep = await call("GC", "", { ...conf, "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }] });
    expect(keep.code).toBe(0);
    expect(existsSync(join(dataDir, "ptpnet", "10.91.0.2"))).toBe(true);
    expect(await firewall()).toContain("10.91.0.2");
    const del = await call("DEL", "c1", conf);
    expect(del.stderr).toBe("");
    expect(del.code).toBe(0);
    expect((await exec(["ip", "link", "show", "dev", hostEnd])).code).not.toBe(0);
    expect(existsSync(join(dataDir, "ptpnet", "10.91.0.2"))).toBe(false);
    expect(await firewall()).not.toContain("10.91.0.2");

    // tscni validate checks a config using it through its own entry: ok, then every problem.
    const confDir = join(tmp.path, "net.d");
    mkdirSync(confDir);
    const list = (plugin: object) => JSON.stringify({ cniVersion: "1.1.0", name: "ptpnet", plugins: [plugin] });
    writeFileSync(join(confDir, "10-ptp.conflist"), list({ type: NAME, ipMasq: true, ipam }));
    const good = await exec([join(dist, "tscni"), "validate", "--conf-dir", confDir, "--bin-dir", dist], { env: { PATH: SYSTEM_PATH } });
    expect(good.stdout).toContain(`plugins[0] ${NAME}: ok`);
    expect(good.code).toBe(0);
    const badDir = join(tmp.path, "bad.d");
    mkdirSync(badDir);
    writeFileSync(join(badDir, "10-ptp.conflist"), list({ type: NAME, mtu: "big", ipam: { ...ipam, ranges: [[{ subnet: "10.0.0.0/33" }]] } }));
    const bad = await exec([join(dist, "tscni"), "validate", "--conf-dir", badDir, "--bin-dir", dist], { env: { PATH: SYSTEM_PATH } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("error plugins[0].mtu: failed to load netconf: json: cannot unmarshal string into Go struct field NetConf.mtu of type int");
    expect(bad.stdout).toContain("error plugins[0].ipam.ranges[0][0].subnet: invalid CIDR address: 10.0.0.0/33");

    // tscni gc frees a pod it never saw removed: its reservation and masquerade, by the entry's description.
    const add2 = await call("ADD", "c2", conf);
    expect(add2.code).toBe(0);
    // host-local hands out the next address after the last one reserved.
    expect((add2.json as typeof result).ips[0]?.address).toBe("10.91.0.3/24");
    expect(await firewall()).toContain("10.91.0.3");
    const gcArgs = ["gc", "--conf-dir", confDir, "--bin-dir", dist, "--cache-dir", join(tmp.path, "cache"), "--valid", "other:eth0", "--grace-period", "0"];
    const dry = await exec([join(dist, "tscni"), ...gcArgs], { env: { PATH: SYSTEM_PATH } });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('release network "ptpnet": 10.91.0.3 of c2:eth0');
    expect(dry.stdout).toContain("remove");
    const applied = await exec([join(dist, "tscni"), ...gcArgs, "--apply"], { env: { PATH: SYSTEM_PATH } });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(existsSync(join(dataDir, "ptpnet", "10.91.0.3"))).toBe(false);
    expect(await firewall()).not.toContain("10.91.0.3");
    expect((await call("DEL", "c2", conf)).code).toBe(0);
  },
  NETNS_TIMEOUT * 3,
);
