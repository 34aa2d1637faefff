/**
 * `tscni install --chain-mode` in a temp conf dir: a dry run that changes nothing and prints the
 * rewrite, --apply that keeps the original beside it and writes a list libcni loads, `=off` back
 * to the members as they were, the refusal when no tscni-chain answers in the bin dir, and
 * `tscni doctor` naming the networks that could use chain mode.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { distDir, exec, repoRoot, requireIsolatedHost, SYSTEM_PATH, tempDir, tscni } from "../harness.ts";

requireIsolatedHost();

const GOOD = join(repoRoot, "test/fixtures/configs/good");
const cli = (...args: string[]) => exec([tscni("tscni"), ...args], { env: { PATH: SYSTEM_PATH } });

function confDir(root: string): string {
  for (const f of ["10-containerd-net.conflist", "11-crio-ipv4-bridge.conflist", "20-nomad.conflist"]) copyFileSync(join(GOOD, f), join(root, f));
  return root;
}

const bytes = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));

describe("install --chain-mode", () => {
  test("dry run by default: prints each rewrite and what it leaves, changes nothing", async () => {
    using d = tempDir();
    const dir = confDir(d.path);
    const before = bytes(dir);
    const r = await cli("install", "--chain-mode", "--conf-dir", dir, "--dir", distDir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`11-crio-ipv4-bridge.conflist: network "crio" gains nothing (1 exec(s) per pod either way): left as it is`);
    expect(r.stdout).toContain(`would rewrite ${dir}/20-nomad.conflist (network "nomad") into chain mode (1 exec(s) per pod instead of 3)`);
    expect(r.stdout).toContain('"type": "tscni-chain"');
    expect(r.stdout).toContain("dry run: nothing changed");
    expect(bytes(dir)).toEqual(before);
  });

  test("--apply keeps the originals, writes lists tscni run loads, and =off gives the plain members back", async () => {
    using d = tempDir();
    const dir = confDir(d.path);
    const before = bytes(dir);
    const on = await cli("install", "--chain-mode", "--conf-dir", dir, "--dir", distDir, "--apply");
    expect(on.code).toBe(0);
    const files = readdirSync(dir).sort();
    const backups = files.filter((f) => f.includes(".before-chain-mode-"));
    expect(backups.map((f) => f.replace(/-\d{8}T\d{6}$/, ""))).toEqual(["10-containerd-net.conflist.before-chain-mode", "20-nomad.conflist.before-chain-mode"]);
    for (const b of backups) expect(readFileSync(join(dir, b), "utf8")).toBe(before[b.replace(/\.before-chain-mode-.*$/, "")] ?? "");
    const nomad = JSON.parse(readFileSync(join(dir, "20-nomad.conflist"), "utf8")) as { plugins: { type: string; plugins: { type: string }[] }[] };
    expect(nomad.plugins.map((p) => p.type)).toEqual(["tscni-chain"]);
    expect(nomad.plugins[0]?.plugins.map((p) => p.type)).toEqual(["loopback", "bridge", "portmap"]);
    expect(readFileSync(join(dir, "11-crio-ipv4-bridge.conflist"), "utf8")).toBe(before["11-crio-ipv4-bridge.conflist"] ?? "");
    // STATUS below 1.1.0 loads the list and asks nothing: exit 0 proves libcni's loader accepts it.
    expect((await cli("run", "status", "nomad", "--conf-dir", dir, "--bin-dir", distDir)).code).toBe(0);

    const off = await cli("install", "--chain-mode=off", "--conf-dir", dir, "--dir", distDir, "--network-name", "nomad", "--apply");
    expect(off.stdout).toContain("back to a plain conflist");
    expect(off.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "20-nomad.conflist"), "utf8"))).toEqual(JSON.parse(before["20-nomad.conflist"] ?? ""));
    expect(readdirSync(dir).filter((f) => f.includes(".before-chain-mode-off-")).length).toBe(1);
  });

  test("refused, nothing written, when the bin dir has no tscni-chain", async () => {
    using d = tempDir();
    using bin = tempDir();
    const dir = confDir(d.path);
    const before = bytes(dir);
    const r = await cli("install", "--chain-mode", "--conf-dir", dir, "--dir", bin.path, "--apply");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${bin.path}/tscni-chain does not answer VERSION`);
    expect(bytes(dir)).toEqual(before);
  });

  test("doctor names the networks that could run in chain mode, and those that do", async () => {
    using d = tempDir();
    const dir = confDir(d.path);
    const doctor = async () => {
      const r = await cli("doctor", "--json", "--conf-dir", dir, "--bin-dir", distDir, "--cache-dir", d.path);
      return (JSON.parse(r.stdout) as { checks: { id: string; detail: string; fix: string }[] }).checks.filter((c) => c.id === "chain-mode");
    };
    const could = await doctor();
    expect(could.map((c) => c.detail.replace(`${dir}/`, ""))).toEqual([
      'network "containerd-net" could run in chain mode: 1 exec(s) per pod and verb instead of 2'.replace(/^/, "10-containerd-net.conflist: "),
      '20-nomad.conflist: network "nomad" could run in chain mode: 1 exec(s) per pod and verb instead of 3',
    ]);
    expect(could[1]?.fix).toBe(`tscni install --chain-mode --conf-dir ${dir} --network-name nomad --apply`);
    expect((await cli("install", "--chain-mode", "--conf-dir", dir, "--dir", distDir, "--network-name", "nomad", "--apply")).code).toBe(0);
    expect((await doctor()).map((c) => c.detail.replace(`${dir}/`, ""))[1]).toBe('20-nomad.conflist: network "nomad" runs in chain mode');
  });
});
