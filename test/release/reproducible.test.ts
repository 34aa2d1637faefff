/**
 * The same commit builds the same bytes: a second `build/release.ts` into a temp dir must give
 * the same SHA256SUMS lines for the tarballs and .debs, and an image whose layer content
 * (config diff_ids) and config are the same. The image archive's own bytes are compared too and
 * any difference is printed (docs/release.md says what may vary there).
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mustExec, repoRoot, tempDir } from "../harness.ts";
import { imageArchive, ociImage, releaseDir, requireRelease } from "./release-fixture.ts";

/** The image's config (created time, entry point, layer diff_ids): what a runtime runs. */
function imageContent(dir: string): unknown {
  return ["amd64", "arm64"].map((arch) => {
    using img = ociImage(join(dir, imageArchive), arch);
    const { created, config, rootfs } = img.config;
    return { arch, created, entrypoint: config.Entrypoint, cmd: config.Cmd, layers: rootfs.diff_ids };
  });
}

requireRelease();

test("a second release build gives byte-identical artefacts", async () => {
  using out = tempDir("tscni-release2-");
  await mustExec([process.execPath, join(repoRoot, "build/release.ts"), "--out", out.path]);
  const lines = (dir: string) => readFileSync(join(dir, "SHA256SUMS"), "utf8").trim().split("\n");
  const [a, b] = [lines(releaseDir), lines(out.path)];
  expect(b.filter((l) => !l.endsWith(imageArchive))).toEqual(a.filter((l) => !l.endsWith(imageArchive)));
  expect(imageContent(out.path)).toEqual(imageContent(releaseDir));
  if (a.find((l) => l.endsWith(imageArchive)) !== b.find((l) => l.endsWith(imageArchive))) console.log(`NOTE ${imageArchive}: archive bytes differ, image content equal`);
}, 1_200_000);
