/**
 * What a plugin exec loads, read from the bundle the binary is built from (same splitting as
 * build/compile.ts): VERSION (the entry) and loopback's whole call path import no node:* module,
 * and the entry loads no plugin code. Each node:* module (and bun:ffi, a JS module compiled from
 * source on import: src/sys/ffi.ts) costs every exec start-up time and RSS
 * (docs/performance.md); this keeps a new import from slipping back onto those paths.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";

const root = join(import.meta.dir, "../../..");
const out = mkdtempSync(join(tmpdir(), "tscni-bundle-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const built = await Bun.build({
  entrypoints: ["plugins/main.ts", "plugins/run-plugin.ts", "plugins/loopback/index.ts", "plugins/host-local/index.ts", "plugins/bridge/index.ts", "plugins/tscni-chain/index.ts"].map(
    (p) => join(root, p),
  ),
  outdir: out,
  root: join(root, "plugins"),
  target: "bun",
  format: "esm",
  splitting: true,
  minify: true,
});

/** Every module a file imports statically, chunks followed transitively; dynamic imports not. */
function staticClosure(file: string): Set<string> {
  const seen = new Set<string>();
  const todo = [file];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f)) continue;
    seen.add(f);
    const path = join(out, f);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, "utf8");
    for (const m of text.matchAll(/(?:^|[;}\s])import\s*(?:[\w${},\s*]+from\s*)?"([^"]+)"/g)) {
      const spec = m[1] ?? "";
      todo.push(spec.startsWith(".") ? normalize(join(dirname(f), spec)) : spec);
    }
  }
  return seen;
}

const external = (s: Set<string>): string[] => [...s].filter((x) => !x.endsWith(".js")).sort();

test("the bundle builds", () => {
  expect(built.success).toBe(true);
});

test("the entry (VERSION) imports no node:* module and no FFI", () => {
  expect(external(staticClosure("main.js"))).toEqual([]);
});

test("the entry (VERSION) loads one chunk besides its own: the registry's", () => {
  const chunks = [...staticClosure("main.js")].filter((f) => f !== "main.js");
  expect(chunks.length).toBe(1);
  expect(readFileSync(join(out, chunks[0] ?? ""), "utf8")).toContain('"tscni-chain"');
});

test("the plugin-call path, loopback and host-local import no node:* module, and not bun:ffi either (src/sys/ffi.ts reaches Bun.FFI without it)", () => {
  expect(external(staticClosure("run-plugin.js"))).toEqual([]);
  expect(external(staticClosure("loopback/index.js"))).toEqual([]);
  expect(external(staticClosure("host-local/index.js"))).toEqual([]);
});

test("tscni-chain (chain mode) imports no node:* module: src/runtime's executor without its result cache and config-dir reader", () => {
  expect(external(staticClosure("tscni-chain/index.js"))).toEqual([]);
});

test("bridge imports no node:* module, and the firewall code only when it masquerades or checks spoofing", () => {
  const closure = staticClosure("bridge/index.js");
  expect(external(closure)).toEqual([]);
  const firewallCode = [...closure].filter((f) => f.endsWith(".js") && readFileSync(join(out, f), "utf8").includes("CNI-HOSTPORT-DNAT"));
  expect(firewallCode).toEqual([]);
});

test("loopback's DEL and CHECK load no schema: valibot and the NetConf schema are outside its static graph (ADD imports them)", () => {
  const holds = (marker: string) => [...staticClosure("loopback/index.js")].filter((f) => f.endsWith(".js") && readFileSync(join(out, f), "utf8").includes(marker));
  // "~standard" is valibot's Standard Schema property on every schema; "types.PluginConf" names the NetConf schema.
  expect(holds("~standard")).toEqual([]);
  expect(holds("types.PluginConf")).toEqual([]);
  const all = built.outputs.map((o) => readFileSync(o.path, "utf8"));
  expect(all.some((t) => t.includes("~standard") && t.includes("types.PluginConf"))).toBe(true);
});
