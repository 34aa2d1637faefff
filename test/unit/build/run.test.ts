/** build/run.ts: the reproducible tar flags make an archive depend on its files only; runOrThrow names a failing command. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reproducibleTarFlags, runOrThrow } from "../../../build/run.ts";
import { tempDir } from "../../harness.ts";

describe("build/run.ts", () => {
  test("two archives of the same files written at different times are the same bytes; another epoch differs", () => {
    using d = tempDir("tscni-tar-");
    const tree = (name: string, when: Date): string => {
      const dir = join(d.path, name, "pkg");
      mkdirSync(dir, { recursive: true });
      // Written in a different order each time: the archive must not depend on it.
      for (const f of name === "a" ? ["x", "y"] : ["y", "x"]) writeFileSync(join(dir, f), `file ${f}\n`);
      for (const f of ["x", "y"]) utimesSync(join(dir, f), when, when);
      return join(d.path, name);
    };
    const tar = (root: string, epoch: number, out: string): Buffer => {
      runOrThrow(["tar", ...reproducibleTarFlags(epoch), "-C", root, "-cf", join(d.path, out), "pkg"]);
      return readFileSync(join(d.path, out));
    };
    const a = tar(tree("a", new Date(1_000_000_000_000)), 1_700_000_000, "a.tar");
    const b = tar(tree("b", new Date(1_600_000_000_000)), 1_700_000_000, "b.tar");
    expect(a.equals(b)).toBe(true);
    expect(a.equals(tar(join(d.path, "a"), 1_700_000_001, "c.tar"))).toBe(false);
  });

  test("a command that fails throws with its argv and exit status", () => {
    expect(() => runOrThrow(["false"], { stdout: "ignore" })).toThrow("false exited 1");
  });
});
