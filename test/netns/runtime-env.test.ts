/**
 * The runtime's environment reaches the Bun runtime inside the plugin binary (README "Security
 * model"). Where the process can still write a CNI error, the failure is one, naming the cause
 * and the fix, and nothing changed. What Bun itself does before any of our code runs is
 * asserted as documented, so this file notices when a Bun upgrade changes it.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { distDir, requireIsolatedHost, runCni, tempDir, tempNetns, tscni } from "../harness.ts";
import { link } from "./bridge-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const dir = tempDir("tscni-runtime-env-");
afterAll(() => dir[Symbol.dispose]());

const LOOPBACK = { cniVersion: "1.0.0", name: "lo-net", type: "loopback" };
const MiB = 1024 * 1024;

async function loopbackAdd(env: Record<string, string>, prefix: string[] = []) {
  await using ns = await tempNetns();
  const r = await runCni(tscni("loopback"), {
    command: "ADD",
    containerId: "c1",
    netns: ns.path,
    ifname: "lo",
    path: distDir,
    stdin: LOOPBACK,
    env,
    prefix,
  });
  return { ...r, loUp: (await link("lo", ns))?.flags.includes("UP") ?? false };
}

describe("no JIT: a CNI error that names the cause and the fix, nothing changed", () => {
  test("BUN_JSC_useJIT=0 in the environment", async () => {
    const r = await loopbackAdd({ BUN_JSC_useJIT: "0" });
    expect(r.code).toBe(1);
    // The first libc use may be reading stdin (code 5) or a kernel call (999): the text matters.
    expect(r.json).toEqual({
      code: expect.any(Number),
      msg: expect.stringContaining("BUN_JSC_useJIT=0 is set in the plugin's environment: remove it"),
    });
    expect(r.loUp).toBe(false);
  });

  test("an address space limit of 1 GiB (RLIMIT_AS)", async () => {
    const r = await loopbackAdd({}, ["prlimit", `--as=${1024 * MiB}`, "--"]);
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ code: expect.any(Number), msg: expect.stringContaining("address space limit (RLIMIT_AS") });
    expect(r.loUp).toBe(false);
  });
});

describe("what Bun does before our code runs (documented, not preventable by the build)", () => {
  test("RLIMIT_AS of 256 MiB: Bun aborts at start-up, no CNI JSON", async () => {
    const r = await loopbackAdd({}, ["prlimit", `--as=${256 * MiB}`, "--"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.loUp).toBe(false);
  });

  test("BUN_OPTIONS=--preload runs that file; BUN_BE_BUN=1 makes the binary the bun CLI", async () => {
    const marker = join(dir.path, "preloaded");
    const preload = join(dir.path, "preload.js");
    writeFileSync(preload, `require("fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
    const r = await runCni(tscni("loopback"), { command: "VERSION", env: { BUN_OPTIONS: `--preload ${preload}` } });
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(true);

    const bun = await runCni(tscni("loopback"), { command: "VERSION", env: { BUN_BE_BUN: "1" } });
    expect(bun.json).toBeUndefined();
    expect(bun.stdout + bun.stderr).toMatch(/bun|Bun/);
  });
});
