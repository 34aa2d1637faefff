/**
 * The release's builds are what their names say. Five binaries, five different files, each
 * declaring its `bun build --target`. The x64-baseline build runs on an emulated Nehalem (SSE4.2,
 * no AVX/AVX2), and so does x64: since Bun 1.4 both sit on the same runtime bytes (the npm
 * baseline package is an alias), and an emulated Core 2 (no SSE4.2) shows the CPU model is
 * enforced. The arm64 build runs under qemu-aarch64-static: VERSION through a plugin name and a
 * host-local ADD into a temp dataDir. The musl builds load under Debian's musl loader as far as
 * Debian allows: only Alpine's libstdc++ is missing (Debian ships no musl libstdc++).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, mustExec, SPEC_VERSIONS, SYSTEM_PATH } from "../harness.ts";
import { bunTarget, QEMU_ARM64, requireRelease, TARGETS, unpack, version } from "./release-fixture.ts";

requireRelease();

const sha256 = (path: string): string => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");

/** How to run a target's binary here (argv prefix), or undefined when it cannot run on this host. */
function runner(t: string, cpu?: string): string[] | undefined {
  if (t.endsWith("-musl")) return undefined;
  if (t.startsWith("linux-arm64")) return QEMU_ARM64;
  return cpu === undefined ? [] : ["qemu-x86_64-static", "-cpu", cpu];
}

/**
 * A host-local ADD by `binary` (through `prefix`) with the plugin name as argv0, in a private
 * netns, the container netns a sleeper's own: returns the reply and the dataDir's files.
 */
async function hostLocalAdd(prefix: string[], dir: string, binary: string): Promise<{ code: number; stdout: string; stderr: string; files: string[] }> {
  const dataDir = join(dir, "data");
  const conf = JSON.stringify({ cniVersion: "1.0.0", name: "qemu", type: "host-local", ipam: { type: "host-local", subnet: "10.66.0.0/24", dataDir } });
  writeFileSync(join(dir, "conf.json"), conf);
  // argv0 "host-local": qemu's -0 sets it for the guest; natively exec -a does.
  const argv0 = prefix.length > 0 ? [...prefix, "-0", "host-local", binary] : ["bash", "-c", 'exec -a host-local "$0"', binary];
  const script = 'unshare --net sleep 60 & s=$!; while [ "$(readlink /proc/$s/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done; CNI_NETNS=/proc/$s/ns/net "$@" < "$CONF"; rc=$?; kill $s; exit $rc';
  const r = await exec(["unshare", "--net", "--", "sh", "-c", script, "sh", ...argv0], {
    env: { PATH: SYSTEM_PATH, CONF: join(dir, "conf.json"), CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_IFNAME: "eth0", CNI_PATH: dir },
  });
  const files = existsSync(join(dataDir, "qemu")) ? readdirSync(join(dataDir, "qemu")).sort() : [];
  return { ...r, files };
}

describe("release targets", () => {
  test("five different binaries, each declaring its target", async () => {
    const digests = new Map<string, string>();
    for (const t of TARGETS) {
      const { tmp, dir } = await unpack(t);
      using _ = tmp;
      digests.set(t, sha256(join(dir, "tscni")));
      const run = runner(t);
      if (run === undefined) continue; // musl: see the loader test below
      const v = JSON.parse(await mustExec([...run, join(dir, "tscni"), "version", "--json"])) as { version: string; target: string };
      expect({ t, version: v.version, target: v.target }).toEqual({ t, version, target: bunTarget(t) });
    }
    expect(new Set(digests.values()).size).toBe(TARGETS.length);
  }, 300_000);

  test.each(["linux-x64-baseline", "linux-x64"])("%s runs on an emulated Nehalem (no AVX): VERSION and a host-local ADD; an emulated Core 2 (no SSE4.2) gets SIGILL", async (t) => {
    const { tmp, dir } = await unpack(t);
    using _ = tmp;
    const nehalem = runner(t, "Nehalem") ?? [];
    const v = await exec([...nehalem, "-0", "loopback", join(dir, "tscni")], { env: { CNI_COMMAND: "VERSION" } });
    expect(JSON.parse(v.stdout)).toEqual({ cniVersion: "1.1.0", supportedVersions: [...SPEC_VERSIONS] });
    const add = await hostLocalAdd(nehalem, tmp.path, join(dir, "tscni"));
    expect(add.stderr).toBe("");
    expect(JSON.parse(add.stdout)).toMatchObject({ ips: [{ address: "10.66.0.2/24" }] });
    expect(add.files).toContain("10.66.0.2");
    const core2 = await exec(["qemu-x86_64-static", "-cpu", "core2duo", join(dir, "tscni"), "--version"], { cwd: tmp.path });
    expect(core2.code).not.toBe(0);
    expect(core2.stderr).toContain("uncaught target signal 4 (Illegal instruction)");
  }, 300_000);

  test("linux-arm64 under qemu-aarch64-static: VERSION through a plugin name and a host-local ADD into a temp dataDir", async () => {
    const { tmp, dir } = await unpack("linux-arm64");
    using _ = tmp;
    const v = await exec([...QEMU_ARM64, join(dir, "loopback")], { env: { CNI_COMMAND: "VERSION" } });
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toEqual({ cniVersion: "1.1.0", supportedVersions: [...SPEC_VERSIONS] });
    const add = await hostLocalAdd(QEMU_ARM64, tmp.path, join(dir, "tscni"));
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ cniVersion: "1.0.0", ips: [{ address: "10.66.0.2/24", gateway: "10.66.0.1" }] });
    expect(add.files).toEqual(["10.66.0.2", "last_reserved_ip.0", "lock"]);
  }, 300_000);

  test.each([
    ["linux-x64-musl", "/lib/ld-musl-x86_64.so.1"],
    ["linux-arm64-musl", "/lib/ld-musl-aarch64.so.1"],
  ])("%s is a musl binary (interpreter %s) needing only libc and libstdc++", async (t, interpreter) => {
    const { tmp, dir } = await unpack(t);
    using _ = tmp;
    const bin = join(dir, "tscni");
    expect(await mustExec(["readelf", "-l", bin])).toContain(`[Requesting program interpreter: ${interpreter}]`);
    const needed = [...(await mustExec(["readelf", "-d", bin])).matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1]);
    expect(needed.sort()).toEqual(["libc.musl-" + (t.startsWith("linux-arm64") ? "aarch64" : "x86_64") + ".so.1", "libstdc++.so.6"].sort());
    if (!t.startsWith("linux-x64")) return;
    // Debian's musl loader (package musl) resolves everything but the C++ runtime, which only
    // Alpine's libstdc++ provides: no glibc-only symbol is asked for.
    const r = await exec([interpreter, bin, "--version"]);
    expect(r.code).not.toBe(0);
    const missing = r.stderr.split("\n").filter((l) => l !== "");
    expect(missing[0]).toBe(`Error loading shared library libstdc++.so.6: No such file or directory (needed by ${bin})`);
    const symbols = missing.slice(1).map((l) => /: (\S+): symbol not found$/.exec(l)?.[1]);
    expect(symbols.length).toBeGreaterThan(0);
    expect(symbols.filter((s) => s === undefined || !/^(_Z|__cxa_|__dynamic_cast|__once_|__gxx_)/.test(s))).toEqual([]);
  }, 300_000);
});
