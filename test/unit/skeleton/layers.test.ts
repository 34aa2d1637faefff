/**
 * Dependencies run one way: plugins/ → src/, and inside src the kernel layer (src/sys) and the
 * call log know no protocol. Read from the import statements of the source itself, so a new
 * import in the wrong direction fails here rather than in review.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { repoRoot } from "../../harness.ts";

const IMPORT = /^\s*(?:import|export)\b[^'"]*?from\s+["']([^"']+)["']|^\s*import\s*\(\s*["']([^"']+)["']|await import\(\s*["']([^"']+)["']/gm;

function sources(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

/** The repo-relative files a source file imports (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? "";
    if (spec.startsWith(".")) out.push(relative(repoRoot, resolve(repoRoot, dirname(file), spec)));
  }
  return out;
}

function offending(files: readonly string[], forbidden: (target: string) => boolean): string[] {
  return files.flatMap((f) => importsOf(f).filter(forbidden).map((t) => `${f} → ${t}`));
}

describe("layers", () => {
  test("the import scanner sees the imports it is meant to police", () => {
    expect(importsOf("src/sys/lock.ts")).toContain("src/sys/errors.ts");
    expect(importsOf("plugins/registry.ts")).toContain("src/container/index.ts");
  });

  test("src/sys and the call log import nothing from src/cni", () => {
    const files = [...sources("src/sys"), "src/log.ts", "src/log-file.ts"];
    expect(offending(files, (t) => t.startsWith("src/cni/"))).toEqual([]);
  });

  test("src/sys imports nothing outside src/sys but the lazy node loader and pure text helpers", () => {
    const allowed = (t: string): boolean => t.startsWith("src/sys/") || t === "src/lazy-node.ts" || t.startsWith("src/gofmt/quote.ts");
    expect(offending(sources("src/sys"), (t) => !allowed(t))).toEqual([]);
  });

  test("src never imports plugins/", () => {
    expect(offending(sources("src"), (t) => t.startsWith("plugins/"))).toEqual([]);
  });
});
