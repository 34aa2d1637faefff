/**
 * Plugins reach shared machinery only through each src area's public surface (its index.ts), and
 * the unsafe kernel access (bun:ffi, setns, errno) stays in src/sys, so src/container and every
 * plugin folder stay reviewable without it.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { repoRoot } from "../../harness.ts";

const FROM = /\bfrom\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

const pluginFolderFiles = (): string[] => sources("plugins").filter((f) => f.split("/").length > 2);

function specifiers(file: string): string[] {
  return [...readFileSync(join(repoRoot, file), "utf8").matchAll(FROM)].map((m) => m[1] ?? m[2] ?? "");
}

describe("public surfaces", () => {
  test("the scan sees plugin folders and their imports", () => {
    expect(pluginFolderFiles()).toContain("plugins/bridge/index.ts");
    expect(specifiers("plugins/bridge/index.ts")).toContain("../../src/container/index.ts");
  });

  // A second, narrower surface an area declares so a plugin's exec loads less code (the file's
  // header says so): src/netlink/links.ts is Rtnl's link+address half and src/cni/core.ts the
  // errors/result half, all loopback needs at load (src/cni/core-config.ts its config decode, loaded
  // by ADD only); src/sys/netns.ts the namespace handle alone;
  // src/runtime/chain.ts list execution without the result cache, for tscni-chain;
  // src/firewall/choice.ts portmap's backend choice and checks without the rule machinery.
  const NARROW_SURFACES = new Set(["src/netlink/links.ts", "src/cni/core.ts", "src/cni/core-config.ts", "src/sys/netns.ts", "src/runtime/chain.ts", "src/firewall/choice.ts"]);

  test("a plugin folder imports a src area only through its index.ts (or a declared narrow surface)", () => {
    const deep = pluginFolderFiles().flatMap((file) =>
      specifiers(file)
        .filter((s) => s.startsWith("."))
        .map((s) => relative(repoRoot, resolve(repoRoot, dirname(file), s)))
        .filter((t) => /^src\/[^/]+\/.+/.test(t) && !/^src\/[^/]+\/index\.ts$/.test(t) && !NARROW_SURFACES.has(t))
        .map((t) => `${file} → ${t}`),
    );
    expect(deep).toEqual([]);
  });

  test("bun:ffi (and Bun.FFI), setns and errno only in src/sys", () => {
    const outside = [...sources("src"), ...sources("plugins")].filter((f) => !f.startsWith("src/sys/"));
    const unsafe = outside.filter((f) => {
      const text = readFileSync(join(repoRoot, f), "utf8");
      return specifiers(f).includes("bun:ffi") || /\bsetns\s*\(|__errno_location|\bBun\.FFI\b/.test(text);
    });
    expect(unsafe).toEqual([]);
  });
});
