/**
 * `tscni install` as a transaction, into temp dirs only: fresh install, install over Debian's
 * reference plugins while a runtime-like watcher execs every name, upgrade, rollback, uninstall
 * back to the original bytes, refusals (unknown flag, tampered or stripped binary, foreign files)
 * that change nothing, and the refusal in make's words under make.
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, mustExec, NETNS_TIMEOUT, referenceDir, repoRoot, requireIsolatedHost, SYSTEM_PATH, tempDir, tscni } from "../harness.ts";
import { snapshot, startWatcher } from "./install-watcher.ts";
import { PLUGIN_NAMES } from "../../plugins/registry.ts";

requireIsolatedHost();

const PLUGINS = [...PLUGIN_NAMES];
const cli = (...args: string[]) => exec([tscni("tscni"), ...args], { env: { PATH: SYSTEM_PATH } });
const installedVersion = async (bin: string): Promise<string> =>
  (JSON.parse(await mustExec([join(bin, "tscni"), "version", "--json"])) as { version: string }).version;

/** A copy of dist/tscni (with its checksum) that tests may damage. */
function copyBinary(to: string): string {
  copyFileSync(tscni("tscni"), join(to, "tscni"));
  copyFileSync(`${tscni("tscni")}.sha256`, join(to, "tscni.sha256"));
  return join(to, "tscni");
}

describe("install", () => {
  test(
    "copies itself with its checksum, links the plugins, verifies every name, and is idempotent",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "opt/cni/bin");
      const r = await cli("install", "--dir", bin);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`verified: ${PLUGINS.map((p) => `${bin}/${p}`).join(", ")} answer VERSION`);
      expect(readdirSync(bin).sort()).toEqual([".tscni", ...PLUGINS, "tscni", "tscni.sha256"].sort());
      for (const p of PLUGINS) expect(readlinkSync(join(bin, p))).toBe("tscni");
      expect(lstatSync(join(bin, "tscni")).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(bin, "tscni.sha256"), "utf8")).toBe(readFileSync(`${tscni("tscni")}.sha256`, "utf8"));
      const again = await cli("install", "--dir", bin);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`keep ${bin}/tscni (same checksum)`);
      expect(again.stdout).toContain(`keep ${bin}/bridge -> tscni`);
      const un = await cli("install", "--uninstall", "--dir", bin);
      expect(un.code).toBe(0);
      expect(existsSync(bin)).toBe(false);
    },
    NETNS_TIMEOUT,
  );

  test(
    "over Debian's plugins with a runtime-like watcher: install, upgrade, rollback ×2, uninstall; no name ever missing or failing, and the dir ends byte for byte as it began",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "bin");
      cpSync(referenceDir, bin, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      const before = snapshot(bin);
      const v2 = join(d.path, "v2");
      await mustExec([process.execPath, join(repoRoot, "build/compile.ts"), "--outfile", join(v2, "tscni"), "--version", "0.0.99-watch"]);
      // The runtime-like watcher execs the names Debian's dir already had (tscni-chain is new).
      const watcher = startWatcher(bin, PLUGINS.filter((p) => existsSync(join(referenceDir, p))));
      const step = async (argv: string[], expectVersion?: string): Promise<void> => {
        const r = await exec(argv, { env: { PATH: SYSTEM_PATH } });
        if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}${r.stdout}`);
        if (expectVersion !== undefined) expect(await installedVersion(bin)).toBe(expectVersion);
        await watcher.rounds(2);
      };
      try {
        await watcher.rounds(2);
        await step([tscni("tscni"), "install", "--dir", bin, "--force"], "0.1.0");
        await step([join(v2, "tscni"), "install", "--dir", bin], "0.0.99-watch");
        await step([tscni("tscni"), "install", "--dir", bin, "--rollback"], "0.1.0");
        await step([tscni("tscni"), "install", "--dir", bin, "--rollback"], "0.0.99-watch");
        await step([tscni("tscni"), "install", "--dir", bin, "--uninstall"]);
      } finally {
        const seen = await watcher.stop();
        expect(seen.failures).toEqual([]);
        expect(seen.misses).toEqual({});
        // Counted, not timed: rounds(2) before and after each of the 5 steps waited for two full
        // VERSION rounds over every name and 200 more stat polls.
        expect(seen.calls).toBeGreaterThanOrEqual(12 * PLUGINS.length);
        expect(seen.polls).toBeGreaterThanOrEqual(6 * 200);
      }
      expect(snapshot(bin)).toEqual(before);
    },
    NETNS_TIMEOUT * 3,
  );

  test(
    "unknown flags, a bad CIDR and a missing --conf-dir exit 2 with nothing changed",
    async () => {
      using d = tempDir();
      writeFileSync(join(d.path, "bridge"), "#!/bin/sh\n", { mode: 0o755 });
      const before = snapshot(d.path);
      for (const argv of [
        ["--dir", d.path, "--forse"],
        ["--dir", d.path, "--force", "--uninstal"],
        ["--dir", d.path, "stray"],
        ["--dir", d.path, "--force", "--conf-dir", join(d.path, "net.d"), "--default-network", "10.88.0.0"],
        ["--dir", d.path, "--force", "--default-network", "10.88.0.0/16"],
        ["--dir", d.path, "--force=maybe"],
        ["--dir", d.path, "--uninstall", "--rollback"],
      ]) {
        const r = await cli("install", ...argv);
        expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
        expect(r.stderr).toContain("Run 'tscni install --help' for usage.");
        expect(snapshot(d.path)).toEqual(before);
      }
    },
    NETNS_TIMEOUT,
  );

  test(
    "a tampered or checksum-less binary is refused; a stripped previous binary is never rolled back to",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "bin");
      await mustExec([tscni("tscni"), "install", "--dir", bin]);
      const before = snapshot(bin);
      const damaged = async (damage: (path: string) => void): Promise<string> => {
        using src = tempDir();
        const copy = copyBinary(src.path);
        damage(copy);
        const r = await exec([copy, "install", "--dir", bin], { env: { PATH: SYSTEM_PATH } });
        expect(r.code).toBe(1);
        expect(snapshot(bin)).toEqual(before);
        return r.stderr;
      };
      expect(await damaged((p) => appendFileSync(p, "\0"))).toContain("does not match its recorded checksum");
      expect(await damaged((p) => rmSync(`${p}.sha256`))).toContain("tscni.sha256 is missing");

      // strip leaves a runnable Bun without our program (it cannot run `install` itself: it would
      // be `bun install`). Planted as the rollback target it is refused, by checksum and, when
      // someone recomputed the checksum after stripping, because it no longer answers VERSION.
      const previous = join(bin, ".tscni/previous");
      mkdirSync(previous);
      copyBinary(previous);
      await mustExec(["strip", join(previous, "tscni")]);
      const planted = snapshot(bin);
      const byChecksum = await cli("install", "--dir", bin, "--rollback");
      expect(byChecksum.code).toBe(1);
      expect(byChecksum.stderr).toContain("never strip");
      const digest = (await mustExec(["sha256sum", join(previous, "tscni")])).split(" ")[0] ?? "";
      writeFileSync(join(previous, "tscni.sha256"), `${digest}  tscni\n`);
      const byProbe = await cli("install", "--dir", bin, "--rollback");
      expect(byProbe.code).toBe(1);
      expect(byProbe.stderr).toContain("does not answer CNI VERSION");
      expect(Object.keys(snapshot(bin))).toEqual(Object.keys(planted));
      expect(await installedVersion(bin)).toBe("0.1.0");
    },
    NETNS_TIMEOUT,
  );

  test(
    "foreign files: refused in the CLI's words, in make's words under make; --force backs them up",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "opt/cni/bin");
      await mustExec(["mkdir", "-p", bin]);
      writeFileSync(join(bin, "bridge"), "#!/bin/sh\n", { mode: 0o755 });
      const before = snapshot(bin);
      const refused = await cli("install", "--dir", bin);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("to replace it, add --force");
      const viaMake = await exec(["make", "-s", "-C", repoRoot, "install", `DESTDIR=${d.path}`], { env: { PATH: SYSTEM_PATH } });
      expect(viaMake.code).not.toBe(0);
      expect(viaMake.stderr).toContain("to replace it, run make install FORCE=1");
      expect(viaMake.stderr).not.toContain("--force");
      expect(snapshot(bin)).toEqual(before);
      const forced = await exec(["make", "-s", "-C", repoRoot, "install", `DESTDIR=${d.path}`, "FORCE=1"], { env: { PATH: SYSTEM_PATH } });
      expect(forced.code).toBe(0);
      expect(readFileSync(join(bin, ".tscni/backup/bridge"), "utf8")).toBe("#!/bin/sh\n");
      const un = await cli("install", "--uninstall", "--dir", bin);
      expect(un.code).toBe(0);
      expect(snapshot(bin)).toEqual(before);
    },
    NETNS_TIMEOUT,
  );

  test(
    "--dry-run changes nothing and prints the conflist it would write",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "bin");
      const conf = join(d.path, "net.d");
      const r = await cli("install", "--dir", bin, "--conf-dir", conf, "--default-network", "10.88.0.0/16", "--dry-run");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`would link ${bin}/loopback -> tscni`);
      expect(r.stdout).toContain(`would write ${conf}/10-tscni.conflist`);
      expect(r.stdout).toContain('"subnet": "10.88.0.0/16"');
      expect(readdirSync(d.path)).toEqual([]);
    },
    NETNS_TIMEOUT,
  );

  test(
    "--default-network v4+v6 writes a conflist that validates; another CIDR is refused; --uninstall removes it",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "bin");
      const conf = join(d.path, "net.d");
      const r = await cli("install", "--dir", bin, "--conf-dir", conf, "--default-network", "10.88.0.0/16", "--default-network", "fd00:88::/64");
      expect(r.code).toBe(0);
      const c = JSON.parse(readFileSync(join(conf, "10-tscni.conflist"), "utf8")) as { plugins: { type: string; ipam?: { ranges: unknown } }[] };
      expect(c.plugins.map((p) => p.type)).toEqual(["loopback", "bridge", "portmap"]);
      expect(c.plugins[1]?.ipam?.ranges).toEqual([[{ subnet: "10.88.0.0/16" }], [{ subnet: "fd00:88::/64" }]]);
      // validate looks every plugin type up in the bin dir, as a runtime does.
      const v = await cli("validate", "--conf-dir", conf, "--bin-dir", bin);
      expect(v.stdout).toContain('network "tscni", cniVersion "1.1.0"');
      expect(v.code).toBe(0);
      const other = await cli("install", "--dir", bin, "--conf-dir", conf, "--default-network", "10.99.0.0/16");
      expect(other.code).toBe(1);
      expect(other.stderr).toContain("holds a different default network than requested (ranges 10.88.0.0/16, fd00:88::/64 → 10.99.0.0/16)");
      // Same CIDRs, another name: the refusal names the name (it once printed the same CIDR twice).
      const renamed = await cli("install", "--dir", bin, "--conf-dir", conf, "--default-network", "10.88.0.0/16,fd00:88::/64", "--network-name", "other");
      expect(renamed.code).toBe(1);
      expect(renamed.stderr).toContain('holds a different default network than requested (network name "tscni" → "other")');
      const un = await cli("install", "--uninstall", "--dir", bin, "--conf-dir", conf);
      expect(un.code).toBe(0);
      expect(existsSync(join(conf, "10-tscni.conflist"))).toBe(false);
      expect(existsSync(bin)).toBe(false);
    },
    NETNS_TIMEOUT,
  );
  test(
    "a network name or bridge name validate rejects is refused before anything changes (exit 2)",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "bin");
      const conf = join(d.path, "net.d");
      const base = ["install", "--dir", bin, "--conf-dir", conf, "--default-network", "10.88.0.0/16"];
      const badName = await cli(...base, "--network-name", "bad name");
      expect(badName.code).toBe(2);
      expect(badName.stderr).toContain('--network-name: invalid network name "bad name"');
      // 16 bytes: one over the kernel's limit; ADD would fail with "numerical result out of range".
      const longBridge = await cli(...base, "--bridge", "abcdefghijklmnop");
      expect(longBridge.code).toBe(2);
      expect(longBridge.stderr).toContain('--bridge: failed to create bridge "abcdefghijklmnop"');
      expect(readdirSync(d.path)).toEqual([]);
      const fifteen = await cli(...base, "--bridge", "abcdefghijklmno");
      expect(fifteen.code).toBe(0);
      expect((await cli("validate", "--conf-dir", conf, "--bin-dir", bin)).code).toBe(0);
    },
    NETNS_TIMEOUT,
  );
});
