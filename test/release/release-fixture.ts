/**
 * Where `make release` put its artefacts, and helpers the release tests share. These tests run
 * after `make release` (make test-release) and only ever write into temp dirs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { exec, repoRoot, type TempDir, tempDir } from "../harness.ts";

export const version = pkg.version;
export const releaseDir = join(repoRoot, "dist/release");
export const TARGETS = ["linux-x64", "linux-x64-baseline", "linux-arm64", "linux-x64-musl", "linux-arm64-musl"] as const;
/** What each target's binary declares (`tscni version --json`): the `bun build --target`. */
export const bunTarget = (t: string): string => `bun-${t}`;
/** qemu-user for aarch64 binaries, with Debian's libc6-arm64-cross as the glibc they load. */
export const QEMU_ARM64 = ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"];
export const tarballName = (t: string): string => `tscni-${version}-${t}.tar.gz`;
export const debName = (arch: string): string => `tscni_${version}_${arch}.deb`;
export const imageArchive = `tscni-${version}-image.oci.tar`;
/** No npm, no node: what an air-gapped node has. */
export const BARE_PATH = "/usr/sbin:/sbin";

export function requireRelease(): void {
  if (!existsSync(join(releaseDir, "SHA256SUMS"))) throw new Error("run make release first (make test-release does)");
}

/** Unpacks a release tarball into a temp dir; returns it and the unpacked directory. */
export async function unpack(target: string): Promise<{ tmp: TempDir; dir: string }> {
  const tmp = tempDir("tscni-rel-");
  const r = await exec(["tar", "-xzf", join(releaseDir, tarballName(target)), "-C", tmp.path]);
  if (r.code !== 0) throw new Error(r.stderr);
  return { tmp, dir: join(tmp.path, `tscni-${version}-${target}`) };
}

/** ELF e_machine: 0x3e x86-64, 0xb7 aarch64. */
export function elfMachine(path: string): number {
  const head = readFileSync(path).subarray(0, 20);
  if (head[0] !== 0x7f || head[1] !== 0x45) throw new Error(`${path} is not ELF`);
  return head.readUInt16LE(18);
}

export interface OciImage extends Disposable {
  dir: string;
  /** The architectures of the image index the archive holds, in its order. */
  platforms: string[];
  config: { architecture: string; config: { Entrypoint: string[]; Cmd?: string[] }; rootfs: { diff_ids: string[] }; created: string };
  layers: string[];
}

interface Descriptor {
  mediaType: string;
  digest: string;
  platform?: { architecture: string; os: string };
}

/** An OCI archive unpacked: the image index's `arch` variant's config and layer blob paths. */
export function ociImage(archive: string, arch = "amd64"): OciImage {
  const tmp = tempDir("tscni-oci-");
  const r = Bun.spawnSync(["tar", "-xf", archive, "-C", tmp.path]);
  if (r.exitCode !== 0) throw new Error(`cannot unpack ${archive}`);
  const blob = (digest: string): string => join(tmp.path, "blobs", ...digest.split(":"));
  const json = <T>(digest: string): T => JSON.parse(readFileSync(blob(digest), "utf8")) as T;
  const top = JSON.parse(readFileSync(join(tmp.path, "index.json"), "utf8")) as { manifests: Descriptor[] };
  const tagged = top.manifests[0];
  if (tagged?.mediaType !== "application/vnd.oci.image.index.v1+json") throw new Error(`${archive}: not an image index (${tagged?.mediaType})`);
  const variants = json<{ manifests: Descriptor[] }>(tagged.digest).manifests;
  const chosen = variants.find((m) => m.platform?.architecture === arch);
  if (chosen === undefined) throw new Error(`${archive}: no ${arch} variant`);
  const manifest = json<{ config: { digest: string }; layers: { digest: string }[] }>(chosen.digest);
  return {
    dir: tmp.path,
    platforms: variants.map((m) => m.platform?.architecture ?? "?"),
    config: json<OciImage["config"]>(manifest.config.digest),
    layers: manifest.layers.map((l) => blob(l.digest)),
    [Symbol.dispose]: () => tmp[Symbol.dispose](),
  };
}
