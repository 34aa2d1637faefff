/**
 * The same commit builds the same bytes: a second `build/release.ts` into a temp dir must give
 * a SHA256SUMS identical to dist/release's (every artefact, the image archive included).
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mustExec, repoRoot, tempDir } from "../harness.ts";
import { releaseDir, requireRelease } from "./release-fixture.ts";

requireRelease();

test("a second release build gives byte-identical artefacts", async () => {
  using out = tempDir("tscni-release2-");
  await mustExec([process.execPath, join(repoRoot, "build/release.ts"), "--out", out.path]);
  expect(readFileSync(join(out.path, "SHA256SUMS"), "utf8")).toBe(readFileSync(join(releaseDir, "SHA256SUMS"), "utf8"));
}, 1_200_000);
