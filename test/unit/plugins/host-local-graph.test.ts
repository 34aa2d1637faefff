/**
 * What a host-local exec evaluates at `load`, read from the bundle (build/compile.ts's splitting,
 * unminified so each module keeps its `// path` marker): src/ipam imports src/cni's files, not its
 * index, so none of the delegation, exec or result-parsing modules the index also exports ends up
 * in a chunk host-local loads (each one's body would run in every host-local exec).
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";

const root = join(import.meta.dir, "../../..");
const out = mkdtempSync(join(tmpdir(), "tscni-hl-graph-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const built = await Bun.build({
  entrypoints: ["plugins/main.ts", "plugins/run-plugin.ts", "plugins/host-local/index.ts", "plugins/bridge/index.ts"].map((p) => join(root, p)),
  outdir: out,
  root: join(root, "plugins"),
  target: "bun",
  format: "esm",
  splitting: true,
});

/** The source modules in the chunks a file imports statically, transitively. */
function modulesLoadedBy(file: string): Set<string> {
  const modules = new Set<string>();
  const seen = new Set<string>();
  const todo = [file];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f) || !f.endsWith(".js") || !existsSync(join(out, f))) continue;
    seen.add(f);
    const text = readFileSync(join(out, f), "utf8");
    for (const m of text.matchAll(/^\/\/ (src\/\S+|plugins\/\S+)$/gm)) modules.add(m[1] ?? "");
    for (const m of text.matchAll(/(?:^|[;}\s])import\s*(?:[\w${},\s*]+from\s*)?"([^"]+)"/g)) {
      const spec = m[1] ?? "";
      if (spec.startsWith(".")) todo.push(normalize(join(dirname(f), spec)));
    }
  }
  return modules;
}

test("the bundle builds", () => {
  expect(built.success).toBe(true);
});

test("host-local loads its own code and src/cni's config checks, not the delegation or result-parsing code", () => {
  const loaded = modulesLoadedBy("host-local/index.js");
  expect(loaded.has("src/ipam/host-local/plugin.ts")).toBe(true);
  expect(loaded.has("src/cni/schema.ts")).toBe(true);
  for (const unused of ["src/cni/invoke.ts", "src/cni/convert.ts", "src/cni/result.ts", "src/spawn.ts", "src/cni/in-process.ts"]) {
    expect([unused, loaded.has(unused)]).toEqual([unused, false]);
  }
});
