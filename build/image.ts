/**
 * The OCI image: `scratch` + the tscni binary + the few glibc files it is linked against (the
 * binary is glibc-dynamic; there is no shell or anything else). Entry point: the binary, so the
 * DaemonSet's init container runs `tscni install …` directly. Built with podman in a private
 * storage dir (vfs, cgroupfs, no network), saved as an OCI archive for `podman load` /
 * `ctr images import` on air-gapped nodes.
 *
 *   bun build/image.ts --binary dist/release/.stage/…/tscni --out dist/release
 */
import { copyFileSync, mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };

export const imageName = (version: string): string => `localhost/tscni:${version}`;
export const imageArchive = (version: string): string => `tscni-${version}-image-amd64.oci.tar`;

/** podman with its own storage: never the machine's images, works without systemd. */
export function podmanArgv(storage: string): string[] {
  return ["podman", "--root", join(storage, "root"), "--runroot", join(storage, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
}

/** The ELF interpreter and shared libraries `binary` loads, from ldd (host architecture only). */
function sharedLibraries(binary: string): string[] {
  const r = Bun.spawnSync(["ldd", binary], { stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`ldd ${binary} failed`);
  return r.stdout
    .toString()
    .split("\n")
    .map((l) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
}

function run(argv: string[]): void {
  const r = Bun.spawnSync(argv, { stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${r.exitCode}`);
}

export interface ImageInput {
  binary: string;
  version: string;
  outDir: string;
  workDir: string;
  storage: string;
  epoch: number;
}

export function buildImage(i: ImageInput): string {
  const ctx = join(i.workDir, "image");
  rmSync(ctx, { recursive: true, force: true });
  const rootfs = join(ctx, "rootfs");
  mkdirSync(rootfs, { recursive: true });
  copyFileSync(i.binary, join(rootfs, "tscni"));
  copyFileSync(`${i.binary}.sha256`, join(rootfs, "tscni.sha256"));
  for (const lib of sharedLibraries(i.binary)) {
    mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
    copyFileSync(realpathSync(lib), join(rootfs, lib));
  }
  writeFileSync(
    join(ctx, "Containerfile"),
    [
      "FROM scratch",
      "COPY rootfs/ /",
      `LABEL org.opencontainers.image.title="tscni" org.opencontainers.image.version="${i.version}" org.opencontainers.image.licenses="Apache-2.0"`,
      'ENTRYPOINT ["/tscni"]',
      'CMD ["version"]',
      "",
    ].join("\n"),
  );
  const podman = podmanArgv(i.storage);
  run([...podman, "build", "--quiet", "--network", "none", "--timestamp", String(i.epoch), "--tag", imageName(i.version), "--file", join(ctx, "Containerfile"), ctx]);
  const out = join(i.outDir, imageArchive(i.version));
  rmSync(out, { force: true });
  run([...podman, "save", "--quiet", "--format", "oci-archive", "--output", out, imageName(i.version)]);
  // podman writes the archive's own entries with the current time: repack them sorted, at epoch.
  const layout = join(ctx, "oci");
  mkdirSync(layout);
  run(["tar", "-xf", out, "-C", layout]);
  run(["tar", "--sort=name", `--mtime=@${i.epoch}`, "--owner=0", "--group=0", "--numeric-owner", "--format=gnu", "-C", layout, "-cf", out, "."]);
  rmSync(ctx, { recursive: true, force: true });
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { binary: { type: "string" }, out: { type: "string", default: "dist/release" } } });
  if (values.binary === undefined) throw new Error("--binary is required");
  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000));
  console.log(buildImage({ binary: resolve(values.binary), version: pkg.version, outDir, workDir: join(outDir, ".work"), storage: resolve("dist/cache/podman"), epoch }));
}
