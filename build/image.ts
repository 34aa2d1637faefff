/**
 * The OCI image, amd64 and arm64 in one image index: each variant is `scratch` + the tscni binary
 * of its architecture + the few glibc files it is linked against (the binary is glibc-dynamic;
 * there is no shell or anything else). Entry point: the binary, so the DaemonSet's init container
 * runs `tscni install …` directly. Built with podman in a private storage dir (vfs, cgroupfs, no
 * network), saved as one OCI archive for `podman load` / `ctr images import` on air-gapped nodes.
 *
 *   bun build/image.ts --amd64 …/linux-x64-baseline/tscni --arm64 …/linux-arm64/tscni --out dist/release
 */
import { copyFileSync, existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { reproducibleTarFlags, runOrThrow } from "./run.ts";

export const imageName = (version: string): string => `localhost/tscni:${version}`;
export const imageArchive = (version: string): string => `tscni-${version}-image.oci.tar`;
export type ImageArch = "amd64" | "arm64";

/** podman with its own storage: never the machine's images, works without systemd. */
export function podmanArgv(storage: string): string[] {
  return ["podman", "--root", join(storage, "root"), "--runroot", join(storage, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
}

/** Host path → image path of the ELF interpreter and shared libraries an amd64 `binary` loads (ldd). */
function amd64Libraries(binary: string): [string, string][] {
  const r = Bun.spawnSync(["ldd", binary], { stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`ldd ${binary} failed`);
  return r.stdout
    .toString()
    .split("\n")
    .map((l) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined)
    .map((p) => [realpathSync(p), p]);
}

/**
 * The same for an arm64 `binary` (no ldd across architectures): its DT_NEEDED entries from
 * Debian's arm64 glibc (libc6-arm64-cross), laid out as on an arm64 Debian node; that loader
 * searches /lib/aarch64-linux-gnu.
 */
function arm64Libraries(binary: string): [string, string][] {
  const cross = "/usr/aarch64-linux-gnu/lib";
  const r = Bun.spawnSync(["readelf", "-d", binary], { stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`readelf ${binary} failed`);
  const needed = [...r.stdout.toString().matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1] ?? "");
  return needed.map((lib): [string, string] => {
    const from = join(cross, lib);
    if (!existsSync(from)) throw new Error(`${from} is missing: apt-get install libc6-arm64-cross`);
    return [realpathSync(from), lib.startsWith("ld-linux") ? `/lib/${lib}` : `/lib/aarch64-linux-gnu/${lib}`];
  });
}

const run = (argv: string[], stdout: "inherit" | "ignore" = "inherit"): void => runOrThrow(argv, { stdout });

export interface ImageInput {
  /** The glibc binary (beside its .sha256) of each architecture. */
  binaries: Record<ImageArch, string>;
  version: string;
  outDir: string;
  workDir: string;
  storage: string;
  epoch: number;
}

/** Builds one architecture's image into podman's store; returns its tag. */
function buildArch(i: ImageInput, arch: ImageArch): string {
  const binary = i.binaries[arch];
  const ctx = join(i.workDir, `image-${arch}`);
  rmSync(ctx, { recursive: true, force: true });
  const rootfs = join(ctx, "rootfs");
  mkdirSync(rootfs, { recursive: true });
  copyFileSync(binary, join(rootfs, "tscni"));
  copyFileSync(`${binary}.sha256`, join(rootfs, "tscni.sha256"));
  for (const [from, to] of arch === "amd64" ? amd64Libraries(binary) : arm64Libraries(binary)) {
    mkdirSync(join(rootfs, dirname(to)), { recursive: true });
    copyFileSync(from, join(rootfs, to));
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
  const tag = `${imageName(i.version)}-${arch}`;
  // FROM scratch + COPY runs nothing, so an arm64 image builds here without emulation.
  const podman = podmanArgv(i.storage);
  run([...podman, "build", "--quiet", "--network", "none", "--platform", `linux/${arch}`, "--timestamp", String(i.epoch), "--tag", tag, "--file", join(ctx, "Containerfile"), ctx]);
  rmSync(ctx, { recursive: true, force: true });
  return tag;
}

/**
 * Both architectures in one OCI image index tagged `localhost/tscni:<v>` (as flannel's and
 * calico's images are), saved as one OCI archive: a runtime picks its node's variant.
 */
export function buildImage(i: ImageInput): string {
  const podman = podmanArgv(i.storage);
  const list = imageName(i.version);
  const tags = (["amd64", "arm64"] as const).map((a) => buildArch(i, a));
  Bun.spawnSync([...podman, "manifest", "rm", list], { stdout: "ignore", stderr: "ignore" });
  Bun.spawnSync([...podman, "rmi", "--force", list], { stdout: "ignore", stderr: "ignore" });
  run([...podman, "manifest", "create", list], "ignore");
  for (const t of tags) run([...podman, "manifest", "add", list, `containers-storage:${t}`], "ignore");
  const out = join(i.outDir, imageArchive(i.version));
  rmSync(out, { force: true });
  run([...podman, "manifest", "push", "--all", list, `oci-archive:${out}:${list}`], "ignore");
  // podman writes the archive's own entries with the current time: repack them sorted, at epoch.
  const layout = join(i.workDir, "oci");
  rmSync(layout, { recursive: true, force: true });
  mkdirSync(layout, { recursive: true });
  run(["tar", "-xf", out, "-C", layout]);
  run(["tar", ...reproducibleTarFlags(i.epoch), "-C", layout, "-cf", out, "."]);
  rmSync(layout, { recursive: true, force: true });
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { amd64: { type: "string" }, arm64: { type: "string" }, out: { type: "string", default: "dist/release" } } });
  if (values.amd64 === undefined || values.arm64 === undefined) throw new Error("--amd64 and --arm64 (the two glibc binaries) are required");
  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000));
  const binaries = { amd64: resolve(values.amd64), arm64: resolve(values.arm64) };
  console.log(buildImage({ binaries, version: pkg.version, outDir, workDir: join(outDir, ".work"), storage: resolve("dist/cache/podman"), epoch }));
}
