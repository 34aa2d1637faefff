/**
 * The amd64 .deb with dpkg into a temp root (dpkg --root, maintainer scripts chrootless): plugin
 * files another package owns (a kubernetes-cni built here) are diverted and come back on purge,
 * even after that package's upgrade; unowned ones are refused in preinst without consent (tscni
 * not installed, not half-configured) and replaced with it; a stripped binary with regenerated
 * checksums is refused before it can run Bun's own `install`.
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, mustExec, PLUGINS, referenceDir, SYSTEM_PATH, tempDir } from "../harness.ts";
import { snapshot } from "../netns/install-watcher.ts";
import { debName, releaseDir, requireRelease, version } from "./release-fixture.ts";

requireRelease();

const DEB = join(releaseDir, debName("amd64"));

/** An empty dpkg root and a dpkg bound to it (as a tscni package maintainer tests one). */
function dpkgRoot(root: string) {
  for (const d of ["var/lib/dpkg/info", "var/lib/dpkg/updates", "etc/default"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  const dpkg = (...args: string[]) =>
    exec(["dpkg", `--root=${root}`, "--force-script-chrootless", "--force-depends", "--log=/dev/null", ...args], { env: { PATH: SYSTEM_PATH }, cwd: root });
  const status = async (pkg: string): Promise<string> =>
    (await exec(["dpkg-query", `--root=${root}`, "-W", "-f=${db:Status-Abbrev}", pkg], { env: { PATH: SYSTEM_PATH } })).stdout.trim();
  const diversions = async (): Promise<string> => (await mustExec(["dpkg-divert", `--root=${root}`, "--list", "*/opt/cni/bin/*"])).trim();
  return { dpkg, status, diversions };
}

/** A kubernetes-cni package that owns /opt/cni/bin/<plugin> (Debian's binaries; `extra` appended to bridge). */
async function kubernetesCni(dir: string, pkgVersion: string, extra = ""): Promise<string> {
  const root = join(dir, `kcni-${pkgVersion}`);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "opt/cni/bin"), { recursive: true });
  // The reference plugins tscni replaces (tscni's own extra names have no reference binary), and one it does not.
  for (const p of [...PLUGINS.filter((n) => existsSync(join(referenceDir, n))), "tuning"]) copyFileSync(join(referenceDir, p), join(root, "opt/cni/bin", p));
  if (extra !== "") appendFileSync(join(root, "opt/cni/bin/bridge"), extra);
  writeFileSync(join(root, "DEBIAN/control"), `Package: kubernetes-cni\nVersion: ${pkgVersion}\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: plugins in /opt/cni/bin\n`);
  const out = join(dir, `kubernetes-cni_${pkgVersion}_amd64.deb`);
  await mustExec(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "-b", root, out]);
  return out;
}

describe(".deb with dpkg into a temp root", () => {
  test("over kubernetes-cni's files: diverted without consent, its upgrade lands beside them, purge restores its newer files", async () => {
    using t = tempDir();
    const root = join(t.path, "root");
    const { dpkg, status, diversions } = dpkgRoot(root);
    expect((await dpkg("-i", await kubernetesCni(t.path, "1.0"))).code).toBe(0);
    const bin = join(root, "opt/cni/bin");
    const before = snapshot(bin);
    const installed = await dpkg("-i", DEB);
    expect(installed.stderr).toContain("diverting /opt/cni/bin/bridge (owned by kubernetes-cni)");
    expect(installed.code).toBe(0);
    expect(await status("tscni")).toBe("ii");
    for (const p of PLUGINS) expect((await exec([join(bin, p)], { env: { CNI_COMMAND: "VERSION" } })).stdout).toContain('"cniVersion":"1.1.0"');
    expect(await diversions()).toContain("diversion of /opt/cni/bin/bridge to /opt/cni/bin/bridge.tscni-diverted by tscni");
    // kubernetes-cni's upgrade writes beside tscni's links, not over them.
    expect((await dpkg("-i", await kubernetesCni(t.path, "2.0", "v2"))).code).toBe(0);
    expect(readFileSync(join(bin, "bridge.tscni-diverted"), "utf8").endsWith("v2")).toBe(true);
    expect((await exec([join(bin, "tscni"), "version"])).stdout).toContain(`tscni v${version}`);
    const purged = await dpkg("-P", "tscni");
    expect(purged.code).toBe(0);
    expect(await diversions()).toBe("");
    const after = snapshot(bin);
    expect(readFileSync(join(bin, "bridge"), "utf8").endsWith("v2")).toBe(true);
    delete after.bridge;
    delete before.bridge;
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect((await dpkg("--verify", "kubernetes-cni")).stdout).toBe("");
    expect(await status("kubernetes-cni")).toBe("ii");
  }, 300_000);

  test("unowned plugin files: refused in preinst (tscni not installed, nothing changed), replaced with consent, removal restores byte for byte", async () => {
    using t = tempDir();
    const root = join(t.path, "root");
    const { dpkg, status, diversions } = dpkgRoot(root);
    const bin = join(root, "opt/cni/bin");
    mkdirSync(join(root, "opt/cni"), { recursive: true });
    cpSync(referenceDir, bin, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    const before = snapshot(bin);
    const refused = await dpkg("-i", DEB);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("set TSCNI_REPLACE_FOREIGN=yes in /etc/default/tscni");
    expect(refused.stderr).toContain("pre-installation script");
    // Not unpacked, not half-configured: dpkg --audit finds nothing to finish.
    expect(await status("tscni")).not.toMatch(/^.[FHU]/);
    expect((await dpkg("--audit")).stdout).toBe("");
    expect(existsSync(join(root, "usr/lib/tscni"))).toBe(false);
    expect(snapshot(bin)).toEqual(before);
    expect(await diversions()).toBe("");
    writeFileSync(join(root, "etc/default/tscni"), "TSCNI_REPLACE_FOREIGN=yes\n");
    expect((await dpkg("-i", DEB)).code).toBe(0);
    expect(await status("tscni")).toBe("ii");
    for (const p of PLUGINS) expect(readFileSync(join(bin, p)).subarray(0, 4)).toEqual(readFileSync(join(root, "usr/lib/tscni/tscni")).subarray(0, 4));
    expect((await dpkg("-r", "tscni")).code).toBe(0);
    expect(snapshot(bin)).toEqual(before);
  }, 300_000);

  test("a stripped binary with regenerated checksums: postinst refuses it before Bun's own `install` can run", async () => {
    using t = tempDir();
    const pkg = join(t.path, "pkg");
    await mustExec(["dpkg-deb", "-R", DEB, pkg]);
    const lib = join(pkg, "usr/lib/tscni");
    await mustExec(["strip", join(lib, "tscni")]);
    // What a repackager's tools would redo: the checksum beside the binary and dpkg's md5sums.
    const sum = (await mustExec(["sha256sum", join(lib, "tscni")])).split(" ")[0];
    writeFileSync(join(lib, "tscni.sha256"), `${sum}  tscni\n`);
    const md5 = await exec(["md5sum", "usr/lib/tscni/tscni", "usr/lib/tscni/tscni.sha256", "usr/share/doc/tscni/copyright"], { cwd: pkg });
    expect(md5.code).toBe(0);
    writeFileSync(join(pkg, "DEBIAN/md5sums"), md5.stdout);
    const stripped = join(t.path, "stripped.deb");
    await mustExec(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "-b", pkg, stripped]);
    const root = join(t.path, "root");
    const { dpkg } = dpkgRoot(root);
    const r = await dpkg("-i", stripped);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("does not answer as tscni (stripped or damaged");
    expect(existsSync(join(root, "opt"))).toBe(false);
  }, 300_000);
});
