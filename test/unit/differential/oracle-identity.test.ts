/**
 * The oracle check tells the real v1.9.1 and v1.1.1 binaries from a copy with one byte changed, a
 * missing binary and a missing list.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ORACLE_PLUGINS, oracleProblems, parseSums, V111_DIR, V191_DIR, V191_PINNED } from "../../differential/oracle-identity.ts";
import { tempDir } from "../../harness.ts";

function copyOracle(to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of [...ORACLE_PLUGINS, "SHA256SUMS"]) copyFileSync(join(V191_DIR, f), join(to, f));
}

describe("oracle identity", () => {
  test("the binaries beside the clone are the listed ones", () => {
    expect(oracleProblems()).toEqual([]);
  });

  test("one changed byte, a missing binary, a missing list: each named", () => {
    using tmp = tempDir("tscni-oracle-");
    const dir = join(tmp.path, "v1.9.1");
    copyOracle(dir);
    const bytes = readFileSync(join(dir, "portmap"));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    writeFileSync(join(dir, "portmap"), bytes);
    rmSync(join(dir, "loopback"));
    const problems = oracleProblems(dir);
    expect(problems.length).toBe(2);
    expect(problems[0]).toContain(`${join(dir, "loopback")} is missing`);
    expect(problems[1]).toContain(`${join(dir, "portmap")} is altered`);
    rmSync(join(dir, "SHA256SUMS"));
    expect(oracleProblems(dir)).toEqual([expect.stringContaining("cannot read")]);
  });

  test("binaries swapped together with a regenerated SHA256SUMS: the pinned digests name them", () => {
    using tmp = tempDir("tscni-oracle-");
    const dir = join(tmp.path, "v1.9.1");
    copyOracle(dir);
    copyFileSync(join(V191_DIR, "loopback"), join(dir, "portmap"));
    const sums = readFileSync(join(dir, "SHA256SUMS"), "utf8").replace(/^\S+(  portmap)$/m, `${V191_PINNED.get("loopback")}$1`);
    writeFileSync(join(dir, "SHA256SUMS"), sums);
    expect(oracleProblems(dir, V111_DIR)).toEqual([expect.stringContaining("portmap as 264e09b3")]);
  });

  test("v1.1.1 is checked against dpkg's list: another directory's binaries do not pass", () => {
    expect(oracleProblems(V191_DIR, V191_DIR).filter((p) => p.startsWith("v1.1.1")).length).toBe(ORACLE_PLUGINS.length);
    expect(oracleProblems(V191_DIR, V111_DIR)).toEqual([]);
  });

  test("sum lists: text and binary mode, dpkg paths", () => {
    const sums = parseSums(`${"a".repeat(64)}  bridge\n${"b".repeat(32)} *usr/lib/cni/portmap\nnoise\n`);
    expect([...sums]).toEqual([
      ["bridge", "a".repeat(64)],
      ["usr/lib/cni/portmap", "b".repeat(32)],
    ]);
  });
});
