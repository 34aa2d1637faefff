/**
 * src/firewall's shape, read from its source: no import cycle (a backend must not reach back into
 * the registry or the choice it is registered for), a public surface (index.ts) of at most 40
 * names, and no file over 300 lines.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../harness.ts";

const DIR = "src/firewall";
const IMPORT = /^\s*(?:import|export)\b[^'"]*?from\s+["']\.\/([^"']+)["']|(?:^\s*|await\s+)import\s*\(\s*["']\.\/([^"']+)["']/gm;

/** Each file of src/firewall with the src/firewall files it imports (statically or by `await import`). */
function graph(files: Record<string, string>): Map<string, string[]> {
  return new Map(Object.entries(files).map(([f, text]) => [f, [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? "")]));
}

/** One import cycle as a path `a → b → a`, or undefined. */
function findCycle(g: Map<string, string[]>): string | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (f: string): string | undefined => {
    if (state.get(f) === "done") return undefined;
    if (state.get(f) === "open") return [...path.slice(path.indexOf(f)), f].join(" → ");
    state.set(f, "open");
    path.push(f);
    for (const t of g.get(f) ?? []) {
      const c = visit(t);
      if (c !== undefined) return c;
    }
    path.pop();
    state.set(f, "done");
    return undefined;
  };
  for (const f of g.keys()) {
    const c = visit(f);
    if (c !== undefined) return c;
  }
  return undefined;
}

const sources = Object.fromEntries(
  readdirSync(join(repoRoot, DIR))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => [f, readFileSync(join(repoRoot, DIR, f), "utf8")]),
);

describe("src/firewall", () => {
  test("the cycle finder finds a cycle, including one through a lazy import, and accepts a tree", () => {
    expect(findCycle(graph({ "a.ts": 'import { b } from "./b.ts";', "b.ts": 'const c = await import("./c.ts");', "c.ts": 'export { a } from "./a.ts";' }))).toBe(
      "a.ts → b.ts → c.ts → a.ts",
    );
    expect(findCycle(graph({ "a.ts": 'import type { B } from "./b.ts";\nimport { c } from "./c.ts";', "b.ts": 'import { c } from "./c.ts";', "c.ts": "" }))).toBeUndefined();
  });

  test("has no import cycle", () => {
    expect(graph(sources).get("backends.ts")).toContain("iptables-backend.ts");
    expect(findCycle(graph(sources))).toBeUndefined();
  });

  test("exports at most 40 names from index.ts", () => {
    const names = [...sources["index.ts"]!.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
      (m[1] ?? "").split(",").map((n) => n.replace(/\btype\b/, "").trim()).filter((n) => n !== ""),
    );
    expect(names.length).toBeGreaterThan(10);
    expect(names.length).toBeLessThanOrEqual(40);
    expect(sources["index.ts"]).not.toMatch(/export \*/);
  });

  test("has no file over 300 lines", () => {
    const long = Object.entries(sources).filter(([, text]) => text.split("\n").length > 301).map(([f]) => f);
    expect(long).toEqual([]);
  });
});
