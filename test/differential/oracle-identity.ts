/**
 * Which binaries the differential suite calls "the reference". A swapped or corrupted oracle would
 * make every differential compare tscni with something else, so the run fails instead:
 * - v1.9.1: each of bridge, host-local, loopback, portmap must match its line in
 *   ../shared/reference-bin/v1.9.1/SHA256SUMS (a missing list or binary fails too), and that list
 *   must carry the digests pinned here, so binaries swapped together with a regenerated list fail;
 * - v1.1.1: each must match the md5sum dpkg recorded when it installed containernetworking-plugins.
 * No bun:test import: test/run.ts calls `oracleProblems` once per run, before any file starts.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ORACLE_PLUGINS = ["bridge", "host-local", "loopback", "portmap"] as const;
export const V191_DIR = resolve(import.meta.dir, "..", "..", "..", "shared", "reference-bin", "v1.9.1");
export const V111_DIR = "/usr/lib/cni";
const DPKG_MD5SUMS = "/var/lib/dpkg/info/containernetworking-plugins.md5sums";

/** The upstream v1.9.1 release's binaries, as first recorded beside the clone (2026-12-07). */
export const V191_PINNED: ReadonlyMap<string, string> = new Map([
  ["bridge", "49c4f9c7b0201951d36cf28d3e13732e02c5769b5d106660fe254f6a00bbea04"],
  ["host-local", "b60a86c1aee836afc7cb761f3438eda7931e150a531021b76982b4f514afcffa"],
  ["loopback", "264e09b3de4a4abd62fcba0ce252df61b8427c96dfc330c9a7fee5648c2f466d"],
  ["portmap", "c869bf6f79b3746ed724dea335e2f1b8b433edb56e7bec922fbe7fc5ed798a26"],
]);

function pinnedProblems(listPath: string): string[] {
  let sums: Map<string, string>;
  try {
    sums = parseSums(readFileSync(listPath, "utf8"));
  } catch {
    return []; // check() names the unreadable list
  }
  return ORACLE_PLUGINS.filter((p) => sums.has(p) && sums.get(p) !== V191_PINNED.get(p)).map(
    (p) => `v1.9.1 oracle: ${listPath} lists ${p} as ${sums.get(p)}, not the pinned v1.9.1 digest ${V191_PINNED.get(p)}`,
  );
}

function digest(algorithm: "sha256" | "md5", path: string): string {
  return createHash(algorithm).update(readFileSync(path)).digest("hex");
}

/** `<hex>  <name>` lines, keyed by name (dpkg's names carry the path without the leading slash). */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{32,64}) [ *](.+)$/.exec(line.trim());
    if (m?.[1] && m[2]) sums.set(m[2], m[1]);
  }
  return sums;
}

function check(label: string, algorithm: "sha256" | "md5", listPath: string, pathOf: (p: string) => string, keyOf: (p: string) => string): string[] {
  let sums: Map<string, string>;
  try {
    sums = parseSums(readFileSync(listPath, "utf8"));
  } catch (e) {
    return [`${label}: cannot read ${listPath} (${(e as Error).message})`];
  }
  const problems: string[] = [];
  for (const p of ORACLE_PLUGINS) {
    const want = sums.get(keyOf(p));
    if (!want) {
      problems.push(`${label}: ${listPath} has no line for ${p}`);
      continue;
    }
    let got: string;
    try {
      got = digest(algorithm, pathOf(p));
    } catch (e) {
      problems.push(`${label}: ${pathOf(p)} is missing (${(e as Error).message})`);
      continue;
    }
    if (got !== want) problems.push(`${label}: ${pathOf(p)} is altered: ${algorithm} ${got}, ${listPath} says ${want}`);
  }
  return problems;
}

/** Every way the two oracles differ from the binaries their lists name; empty when both are intact. */
export function oracleProblems(v191Dir = V191_DIR, v111Dir = V111_DIR, dpkgList = DPKG_MD5SUMS): string[] {
  return [
    ...check("v1.9.1 oracle", "sha256", join(v191Dir, "SHA256SUMS"), (p) => join(v191Dir, p), (p) => p),
    ...pinnedProblems(join(v191Dir, "SHA256SUMS")),
    ...check("v1.1.1 oracle", "md5", dpkgList, (p) => join(v111Dir, p), (p) => join(v111Dir, p).slice(1)),
  ];
}

/** Set by test/run.ts after its one check, so the files it starts do not hash the binaries again. */
export const VERIFIED_ENV = "TSCNI_ORACLES_VERIFIED";

export function assertOracles(): void {
  if (process.env[VERIFIED_ENV] === "1") return;
  const problems = oracleProblems();
  if (problems.length > 0) throw new Error(`the differential oracles are not the reference:\n  ${problems.join("\n  ")}`);
}
