/**
 * `make install` on a machine without network, from a clean clone (no node_modules): it fails
 * within a bounded time with a message that says what to do, never hangs; with OFFLINE=1 and a
 * warm npm cache it installs. Runs in `unshare --net`, into temp dirs only.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readlinkSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { exec, mustExec, repoRoot, SYSTEM_PATH, tempDir } from "../harness.ts";

const home = process.env.HOME ?? "/root";

/** A clone of the committed tree: no node_modules, no dist. */
async function cloneWithoutModules(dir: string): Promise<string> {
  const clone = join(dir, "clone");
  await mustExec(["git", "clone", "--quiet", repoRoot, clone]);
  return clone;
}

describe("make install without network", () => {
  test("no node_modules, empty npm cache: fails fast with a clear message, installs nothing", async () => {
    using d = tempDir();
    const clone = await cloneWithoutModules(d.path);
    const r = await exec(["unshare", "--net", "--", "timeout", "300", "make", "-C", clone, "install", `DESTDIR=${d.path}/root`], {
      env: { PATH: SYSTEM_PATH, HOME: home, npm_config_cache: join(d.path, "empty-cache") },
    });
    expect(r.code).not.toBe(0);
    // Not 124: it ended on its own, before `timeout 300` (the hang bound) had to stop it.
    expect(r.code).not.toBe(124);
    expect(r.stderr).toContain("npm ci failed: no network? OFFLINE=1 installs from a warm npm cache");
    expect(existsSync(join(d.path, "root"))).toBe(false);
  }, 400_000);

  test("OFFLINE=1 with a warm npm cache: stale node_modules is reinstalled and make install works", async () => {
    using d = tempDir();
    const clone = await cloneWithoutModules(d.path);
    // Stale: a node_modules older than the lockfile.
    await mustExec(["mkdir", "-p", join(clone, "node_modules")]);
    await mustExec(["touch", join(clone, "node_modules/.installed")]);
    utimesSync(join(clone, "node_modules/.installed"), new Date(0), new Date(0));
    const r = await exec(["unshare", "--net", "--", "timeout", "900", "make", "-C", clone, "install", "OFFLINE=1", `DESTDIR=${d.path}/root`], {
      env: { PATH: SYSTEM_PATH, HOME: home },
    });
    if (r.code !== 0) throw new Error(r.stderr + r.stdout);
    expect(readlinkSync(join(d.path, "root/opt/cni/bin/loopback"))).toBe("tscni");
  }, 1_000_000);
});
