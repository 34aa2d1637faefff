/**
 * The Bun runtime a cross target is compiled onto, from the npm registry only: `npm pack` of
 * @oven/bun-linux-<arch> at exactly the Bun version package.json pins, checked against the
 * integrity recorded in build/bun-runtimes.json, unpacked into a cache dir. A warm cache needs no
 * network (release builds on an air-gapped build host work once the cache is filled).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import pinned from "./bun-runtimes.json" with { type: "json" };

export const BUN_VERSION: string = pkg.devDependencies.bun;

export interface Target {
  /** Release name suffix: tscni-<v>-<name>.tar.gz */
  name: "linux-x64" | "linux-x64-baseline" | "linux-arm64" | "linux-x64-musl" | "linux-arm64-musl";
  /** `bun build --target` */
  bunTarget: string;
  /** npm package holding that runtime */
  npmPackage: keyof typeof pinned.integrity;
  debArch?: "amd64" | "arm64";
  /** What a node needs to run this build (the tarball's INSTALL says it). */
  needs: string;
}

const X64 =
  "glibc 2.27 or newer on any x86-64 CPU with SSE4.2 (Nehalem, 2008, or newer; AVX2 code is chosen at run time where the CPU has it). " +
  "Since Bun 1.4 linux-x64 and linux-x64-baseline carry the same Bun runtime; they differ only in the target `tscni version` names.";
const MUSL =
  "musl (Alpine) with Alpine's C++ runtime: apk add libstdc++ libgcc. The release checks verify its loader and libraries but cannot run it " +
  "(the build host, Debian, ships no musl libstdc++).";

/**
 * Since Bun 1.4 @oven/bun-linux-x64-baseline is an alias of @oven/bun-linux-x64 (same bin/bun
 * bytes): one x86-64 runtime built for Nehalem (SSE4.2) that picks AVX2/AVX-512 code at run time.
 * The two x64 builds therefore differ only in the target they declare; both run on pre-AVX CPUs
 * (test/release/targets.test.ts runs them on an emulated Nehalem). The musl builds need Alpine's
 * libstdc++ and libgcc on the node.
 */
export const TARGETS: readonly Target[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64", npmPackage: "@oven/bun-linux-x64", needs: X64 },
  { name: "linux-x64-baseline", bunTarget: "bun-linux-x64-baseline", npmPackage: "@oven/bun-linux-x64-baseline", debArch: "amd64", needs: X64 },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", npmPackage: "@oven/bun-linux-aarch64", debArch: "arm64", needs: "glibc 2.27 or newer on aarch64." },
  { name: "linux-x64-musl", bunTarget: "bun-linux-x64-musl", npmPackage: "@oven/bun-linux-x64-musl", needs: MUSL },
  { name: "linux-arm64-musl", bunTarget: "bun-linux-arm64-musl", npmPackage: "@oven/bun-linux-aarch64-musl", needs: MUSL },
];

function sri(path: string): string {
  return `sha512-${new Bun.CryptoHasher("sha512").update(readFileSync(path)).digest("base64")}`;
}

/** Path of the `bun` executable for `t`, fetched with `npm pack` when not cached yet. */
export function bunRuntime(t: Target, cacheDir: string): string {
  if (pinned.version !== BUN_VERSION) {
    throw new Error(`build/bun-runtimes.json pins Bun ${pinned.version} but package.json uses ${BUN_VERSION}: update both together`);
  }
  const dir = join(cacheDir, `${t.npmPackage.replace("/", "-").replace("@", "")}-${BUN_VERSION}`);
  const tgz = join(cacheDir, `${t.npmPackage.replace("@", "").replace("/", "-")}-${BUN_VERSION}.tgz`);
  const bun = join(dir, "package/bin/bun");
  const want = pinned.integrity[t.npmPackage];
  if (!existsSync(tgz)) {
    mkdirSync(cacheDir, { recursive: true });
    const r = Bun.spawnSync(["npm", "pack", `${t.npmPackage}@${BUN_VERSION}`, "--pack-destination", cacheDir, "--fetch-retries=0"], {
      stdout: "ignore",
      stderr: "inherit",
    });
    if (r.exitCode !== 0 || !existsSync(tgz)) throw new Error(`npm pack ${t.npmPackage}@${BUN_VERSION} failed (no registry access and no cached ${tgz})`);
  }
  const got = sri(tgz);
  if (got !== want) throw new Error(`${tgz}: integrity ${got} is not the pinned ${want}`);
  if (!existsSync(bun)) {
    mkdirSync(dir, { recursive: true });
    const r = Bun.spawnSync(["tar", "-xzf", tgz, "-C", dir, "package/bin/bun"], { stderr: "inherit" });
    if (r.exitCode !== 0) throw new Error(`cannot unpack ${tgz}`);
  }
  return bun;
}
