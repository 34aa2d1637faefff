/**
 * The compiled binary picks its plugin from the name it was exec'd under, and never reads files
 * from the directory it runs in. Exercised exactly as runtimes and operators invoke it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { distDir, exec, requireIsolatedHost, runCni, SUPPORTED_VERSIONS_LINE, SYSTEM_PATH, tempDir, tscni } from "../harness.ts";

requireIsolatedHost();

const VERSION_DOC = `{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n`;
const env = { CNI_COMMAND: "VERSION", PATH: SYSTEM_PATH };

// Hard links must live on the same filesystem as dist/tscni.
const linkDir = join(distDir, `.test-links-${process.pid}`);
mkdirSync(linkDir, { recursive: true });
afterAll(() => rmSync(linkDir, { recursive: true, force: true }));

describe("multicall dispatch by invoked name", () => {
  test.each(["bridge", "host-local", "loopback", "portmap"])("%s link by absolute path answers VERSION", async (name) => {
    const r = await exec([tscni(name)], { env });
    expect(r.stdout).toBe(VERSION_DOC);
    expect(r.code).toBe(0);
  });

  test("relative path from the bin dir", async () => {
    const r = await exec(["./loopback"], { env, cwd: distDir });
    expect(r.stdout).toBe(VERSION_DOC);
  });

  test("PATH lookup, as runtimes that search CNI_PATH via PATH do", async () => {
    const r = await exec(["loopback"], { env: { ...env, PATH: `${distDir}:${SYSTEM_PATH}` } });
    expect(r.stdout).toBe(VERSION_DOC);
  });

  test("a hard link named like a plugin", async () => {
    const hard = join(linkDir, "loopback");
    linkSync(join(distDir, "tscni"), hard);
    const r = await exec([hard], { env });
    expect(r.stdout).toBe(VERSION_DOC);
  });

  test("a symlink in another directory pointing at an absolute path", async () => {
    const soft = join(linkDir, "host-local");
    symlinkSync(join(distDir, "tscni"), soft);
    const r = await exec([soft], { env });
    expect(r.stdout).toBe(VERSION_DOC);
  });

  test("missing CNI_COMMAND prints the about text on stderr and exits 0", async () => {
    const r = await exec([tscni("loopback")], { env: { PATH: SYSTEM_PATH } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^CNI loopback plugin tscni v\S+ \(commit \S+\)\n/);
    expect(r.stderr).toContain(SUPPORTED_VERSIONS_LINE);
  });
});

describe("the suite CLI under its own name", () => {
  test("tscni version names the version, commit and target", async () => {
    const r = await exec([tscni("tscni"), "version"]);
    expect(r.code).toBe(0);
    const target = process.arch === "arm64" ? "bun-linux-arm64" : "bun-linux-x64";
    expect(r.stdout).toMatch(new RegExp(`^tscni v\\d+\\.\\d+\\.\\d+ \\(commit ([0-9a-f]{7,}(-dirty)?|unknown)\\) for ${target}\\n$`));
    const json = await exec([tscni("tscni"), "version", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: expect.any(String), commit: expect.any(String), target });
  });

  test("tscni plugin <name> runs the plugin protocol explicitly", async () => {
    const r = await exec([tscni("tscni"), "plugin", "loopback"], { env });
    expect(r.stdout).toBe(VERSION_DOC);
  });

  test("tscni --help lists the commands", async () => {
    const r = await exec([tscni("tscni"), "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("install");
    expect(r.stdout).toContain("plugin");
  });
});

describe("never loads files from the working directory", () => {
  test(".env, bunfig.toml preload, tsconfig and package.json in cwd are ignored", async () => {
    using dir = tempDir();
    const marker = join(dir.path, "pwned");
    writeFileSync(join(dir.path, ".env"), "CNI_COMMAND=VERSION\nNODE_OPTIONS=--require=./evil.js\n");
    writeFileSync(join(dir.path, "evil.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");\n`);
    writeFileSync(join(dir.path, "bunfig.toml"), 'preload = ["./evil.ts"]\n[run]\npreload = ["./evil.ts"]\n');
    writeFileSync(join(dir.path, "package.json"), '{"name":"evil","type":"commonjs"}\n');
    writeFileSync(join(dir.path, "tsconfig.json"), '{"compilerOptions":{"paths":{"node:fs":["./evil.ts"]}}}\n');
    const r = await runCni(tscni("loopback"), { cwd: dir.path, stdin: "{}" });
    // With .env loaded, CNI_COMMAND would be VERSION; without it we get the about text.
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("CNI loopback plugin");
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});
