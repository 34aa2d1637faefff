/**
 * A .deb around one compiled binary, with dpkg-deb (no debhelper: nothing strips the binary,
 * which would remove the embedded program). The package owns only /usr/lib/tscni; its maintainer
 * scripts link /opt/cni/bin through `tscni install` and put it back through `--uninstall`,
 * diverting (dpkg-divert) plugin files another package owns and refusing unowned ones in preinst.
 * Every mtime is SOURCE_DATE_EPOCH, owners root, so the same commit gives the same bytes.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PLUGIN_NAMES } from "../plugins/registry.ts";

const here = import.meta.dir;

export interface DebInput {
  binary: string;
  version: string;
  arch: "amd64" | "arm64";
  outDir: string;
  workDir: string;
  epoch: number;
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

export function buildDeb(i: DebInput): string {
  const root = join(i.workDir, `deb-${i.arch}`);
  rmSync(root, { recursive: true, force: true });
  const lib = join(root, "usr/lib/tscni");
  const doc = join(root, "usr/share/doc/tscni");
  const debian = join(root, "DEBIAN");
  for (const d of [lib, doc, debian]) mkdirSync(d, { recursive: true, mode: 0o755 });
  copyFileSync(i.binary, join(lib, "tscni"));
  chmodSync(join(lib, "tscni"), 0o755);
  copyFileSync(`${i.binary}.sha256`, join(lib, "tscni.sha256"));
  copyFileSync(join(here, "..", "LICENSE"), join(doc, "copyright"));
  const data = files(root).filter((f) => !f.startsWith("DEBIAN/"));
  const md5 = data.map((f) => `${new Bun.CryptoHasher("md5").update(readFileSync(join(root, f))).digest("hex")}  ${f}\n`).join("");
  writeFileSync(join(debian, "md5sums"), md5, { mode: 0o644 });
  const installedKb = Math.ceil(data.reduce((n, f) => n + statSync(join(root, f)).size, 0) / 1024);
  writeFileSync(
    join(debian, "control"),
    [
      "Package: tscni",
      `Version: ${i.version}`,
      `Architecture: ${i.arch}`,
      "Maintainer: tscni maintainers <tscni@users.noreply.github.com>",
      `Installed-Size: ${installedKb}`,
      "Depends: libc6 (>= 2.27)",
      "Section: net",
      "Priority: optional",
      "Description: CNI plugins bridge, host-local, loopback and portmap in one binary",
      " A drop-in replacement for the containernetworking reference plugins, compiled",
      " with Bun into one multicall binary in /usr/lib/tscni. Installing the package",
      " links the plugin names in /opt/cni/bin (tscni install); removing it puts back",
      " what was there. Coexists with containernetworking-plugins (/usr/lib/cni).",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  for (const s of ["preinst", "postinst", "prerm", "postrm"]) {
    writeFileSync(join(debian, s), readFileSync(join(here, "deb", s), "utf8").replaceAll("@PLUGINS@", PLUGIN_NAMES.join(" ")));
    chmodSync(join(debian, s), 0o755);
  }
  const when = new Date(i.epoch * 1000);
  for (const f of readdirSync(root, { recursive: true, encoding: "utf8" })) utimesSync(join(root, f), when, when);
  utimesSync(root, when, when);
  const out = join(i.outDir, `tscni_${i.version}_${i.arch}.deb`);
  const r = Bun.spawnSync(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, out], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(i.epoch) },
    stdout: "ignore",
    stderr: "inherit",
  });
  if (r.exitCode !== 0) throw new Error(`dpkg-deb failed for ${i.arch}`);
  rmSync(root, { recursive: true, force: true });
  return relative(i.outDir, out);
}
