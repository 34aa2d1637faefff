/**
 * The two live oracles of the differential suite and the per-plugin/verb case counter.
 *
 * - v1.9.1 (primary): the upstream binaries at `<repo>/../shared/reference-bin/v1.9.1/`, which is
 *   how CI lays them out. They answer everything tscni claims: spec 1.1.0, GC, STATUS, the
 *   nftables backends, v1.9 texts and file modes. A missing or altered oracle is a broken
 *   checkout, not a kernel capability, so it fails the file instead of skipping it
 *   (oracle-identity.ts; test/run.ts checks once per run).
 * - v1.1.1 (second): Debian's containernetworking-plugins in /usr/lib/cni, for swap tests with the
 *   version runtimes still ship.
 *
 * Every comparison of one call through an oracle and tscni calls `countCase(plugin, verb)`; at exit
 * the file prints one `DIFF-CASES {json}` line that test/run.ts adds up and prints per plugin/verb.
 */
import { afterAll } from "bun:test";
import { join } from "node:path";
import { assertOracles, V111_DIR, V191_DIR } from "./oracle-identity.ts";

export { V111_DIR, V191_DIR };

export const v191 = (plugin: string): string => join(V191_DIR, plugin);
export const v111 = (plugin: string): string => join(V111_DIR, plugin);

// Missing or altered (checked against SHA256SUMS and dpkg's md5sums): the file fails.
assertOracles();

const counts = new Map<string, number>();

/** One differential case: the same input went through an oracle and tscni and was compared. */
export function countCase(plugin: string, verb: string): void {
  const k = `${plugin} ${verb}`;
  counts.set(k, (counts.get(k) ?? 0) + 1);
}

afterAll(() => {
  if (counts.size > 0) console.log(`DIFF-CASES ${JSON.stringify(Object.fromEntries(counts))}`);
});
