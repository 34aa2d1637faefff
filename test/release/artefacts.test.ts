/**
 * What `make release` produced: every artefact with a matching SHA256SUMS line, the arm64 binary
 * an aarch64 ELF, the baseline binary running here, a tarball installing with no network and no
 * npm into a temp root, a tampered binary refused, and the .debs' contents and scripts (dpkg into
 * a temp root: deb.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exec, mustExec, PLUGINS, tempDir } from "../harness.ts";
import { BARE_PATH, debName, elfMachine, imageArchive, releaseDir, requireRelease, tarballName, TARGETS, unpack, version } from "./release-fixture.ts";

requireRelease();

describe("release artefacts", () => {
  test("five tarballs, two .debs, the OCI archive, and SHA256SUMS that verifies each", async () => {
    const want = [...TARGETS.map(tarballName), debName("amd64"), debName("arm64"), imageArchive].sort();
    expect(readdirSync(releaseDir).filter((f) => !f.startsWith(".")).sort()).toEqual([...want, "SHA256SUMS"].sort());
    const sums = readFileSync(join(releaseDir, "SHA256SUMS"), "utf8");
    expect(sums.trim().split("\n").map((l) => l.split("  ")[1])).toEqual(want);
    const r = await exec(["sha256sum", "-c", "SHA256SUMS"], { cwd: releaseDir });
    expect(r.code).toBe(0);
  });

  test("each tarball: binary, checksum, plugin links, LICENSE, INSTALL; arm64 ones are aarch64, the others x86-64", async () => {
    for (const t of TARGETS) {
      const { tmp, dir } = await unpack(t);
      using _ = tmp;
      expect(readdirSync(dir).sort()).toEqual(["INSTALL", "LICENSE", ...PLUGINS, "tscni", "tscni.sha256"].sort());
      expect((await exec(["sha256sum", "-c", "tscni.sha256"], { cwd: dir })).code).toBe(0);
      expect(elfMachine(join(dir, "tscni"))).toBe(t.startsWith("linux-arm64") ? 0xb7 : 0x3e);
      expect(readFileSync(join(dir, "INSTALL"), "utf8")).toContain(`tscni-${version}-${t}.tar.gz`);
    }
  }, 120_000);

  test("the baseline tarball installs into a temp root with no network and no npm, every name answers VERSION", async () => {
    const { tmp, dir } = await unpack("linux-x64-baseline");
    using _ = tmp;
    const bin = join(tmp.path, "root/opt/cni/bin");
    const r = await exec(["/usr/bin/unshare", "--net", "--", join(dir, "tscni"), "install", "--dir", bin], { env: { PATH: BARE_PATH } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const p of PLUGINS) {
      const v = await exec([join(bin, p)], { env: { CNI_COMMAND: "VERSION" } });
      expect(JSON.parse(v.stdout)).toMatchObject({ cniVersion: "1.1.0" });
    }
  }, 120_000);

  test("a tampered binary: sha256sum -c fails and tscni install refuses it, changing nothing", async () => {
    const { tmp, dir } = await unpack("linux-x64-baseline");
    using _ = tmp;
    appendFileSync(join(dir, "tscni"), "tampered");
    expect((await exec(["sha256sum", "-c", "tscni.sha256"], { cwd: dir })).code).not.toBe(0);
    const bin = join(tmp.path, "bin");
    mkdirSync(bin);
    const r = await exec([join(dir, "tscni"), "install", "--dir", bin], { env: { PATH: BARE_PATH } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not match its recorded checksum");
    expect(readdirSync(bin)).toEqual([]);
  }, 120_000);

  test(".deb: binary and checksum in /usr/lib/tscni, maintainer scripts call tscni install / --uninstall, never strip", async () => {
    for (const arch of ["amd64", "arm64"]) {
      const deb = join(releaseDir, debName(arch));
      const contents = await mustExec(["dpkg-deb", "-c", deb]);
      const files = contents.trim().split("\n").map((l) => l.split(/\s+/).at(-1));
      expect(files).toContain("./usr/lib/tscni/tscni");
      expect(files).toContain("./usr/lib/tscni/tscni.sha256");
      expect(files.filter((f) => f?.startsWith("./opt") || f?.startsWith("./usr/lib/cni"))).toEqual([]);
      expect(await mustExec(["dpkg-deb", "-f", deb, "Architecture"])).toBe(`${arch}\n`);
      using ctl = tempDir();
      await mustExec(["dpkg-deb", "-e", deb, ctl.path]);
      expect(readFileSync(join(ctl.path, "postinst"), "utf8")).toContain('"$tscni" install --dir "$DPKG_ROOT/opt/cni/bin"');
      expect(readFileSync(join(ctl.path, "preinst"), "utf8")).toContain(`PLUGINS="${PLUGINS.join(" ")}"`);
      expect(readFileSync(join(ctl.path, "postrm"), "utf8")).toContain("dpkg-divert --package tscni --no-rename --remove");
      expect(readFileSync(join(ctl.path, "prerm"), "utf8")).toContain("install --uninstall");
      // The packaged binary is byte for byte the tarball's (dpkg-deb did not strip it).
      using x = tempDir();
      await mustExec(["dpkg-deb", "-x", deb, x.path]);
      const sum = readFileSync(join(x.path, "usr/lib/tscni/tscni.sha256"), "utf8").split(" ")[0];
      expect((await mustExec(["sha256sum", join(x.path, "usr/lib/tscni/tscni")])).split(" ")[0]).toBe(sum);
    }
  }, 120_000);
});
