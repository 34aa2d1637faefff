/**
 * What a masquerading bridge ADD loads of src/firewall, read from the source's static imports
 * (`await import` and `import()` are loaded only by the calls that make them): the masquerade
 * surface, the iptables backend and the netlink writer reach none of the code that call never
 * runs. Each module on that graph is a chunk an ADD deserialises (docs/performance.md, "The
 * masquerade step of bridge ADD": ~1 M instructions for these).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../harness.ts";

const DIR = join(repoRoot, "src/firewall");
/** Runtime imports of sibling files: `import type` / `export type` carry nothing at run time. */
const STATIC = /^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+["']\.\/([^"']+)["']|^\s*import\s+["']\.\/([^"']+)["']/gm;

function staticImports(file: string): string[] {
  return [...readFileSync(join(DIR, file), "utf8").matchAll(STATIC)].map((m) => m[1] ?? m[2] ?? "");
}

function closure(roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...staticImports(f));
  }
  return seen;
}

/** Modules only portmap, the nft layout, the tools' text, the operator views, GC or the agent run. */
const NOT_ON_THE_PATH = [
  "conditions.ts",
  "conditions-iptables.ts",
  "conditions-nft.ts",
  "conditions-check.ts",
  "iptables.ts",
  "iptables-plans.ts",
  "iptables-view.ts",
  "gc.ts",
  "masq-gc.ts",
  "nftables.ts",
  "nftables-plans.ts",
  "nftables-backend.ts",
  "nft-compile.ts",
  "nft-decode.ts",
  "nft-text.ts",
  "nft-resolve.ts",
  "netlink-nft.ts",
  "scan.ts",
  "spoofcheck.ts",
  "rule-parse.ts",
];

describe("a masquerading ADD's static graph in src/firewall", () => {
  test("the scanner follows static imports and skips type-only and lazy ones", () => {
    expect(staticImports("iptables-plans.ts")).toContain("conditions-iptables.ts");
    expect(staticImports("iptables-backend.ts")).toContain("iptables-masq-plans.ts");
    expect(staticImports("iptables-backend.ts")).not.toContain("iptables-plans.ts");
    expect(closure(["index.ts"])).toContain("conditions-nft.ts");
  });

  test("reaches none of the code it never runs", () => {
    const graph = closure(["masq-surface.ts", "iptables-backend.ts", "netlink.ts"]);
    expect(graph).toContain("xt-write.ts");
    expect(NOT_ON_THE_PATH.filter((f) => graph.has(f))).toEqual([]);
  });
});
