/**
 * The style rule "no file over 300 lines" for all product code (src, plugins, build), not only
 * src/firewall (firewall-seam.test.ts): a lever that grows a shared file past it is caught here.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..", "..");

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

describe("product code", () => {
  test("has no file over 300 lines", () => {
    const files = [...tsFiles("src"), ...tsFiles("plugins"), ...tsFiles("build")];
    expect(files.length).toBeGreaterThan(100);
    const long: string[] = [];
    for (const f of files) {
      const lines = readFileSync(join(root, f), "utf8").split("\n");
      const count = lines.at(-1) === "" ? lines.length - 1 : lines.length;
      if (count > 300) long.push(`${f}: ${count}`);
    }
    expect(long).toEqual([]);
  });
});
