/**
 * What the validate unit tests share: a conf dir writer, validate run both ways (text and --json,
 * which must agree), the conflist builders and v1.9.1's own message for a config it refuses.
 * A factory, not module state: bun runs every test file in one process, so each file gets its
 * own temp dir, removed after that file.
 */
import { afterAll, expect } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pluginEntry } from "../../../plugins/registry.ts";
import { validateCommand } from "../../../src/cli/validate.ts";
import { repoRoot, tempDir } from "../../harness.ts";

export const BIN = join(repoRoot, "dist");

export interface Problem {
  path: string;
  message: string;
}
export interface Outcome {
  code: number;
  text: string;
  json: {
    schemaVersion: number;
    ok: boolean;
    files: { file: string; problems: Problem[] }[];
    crossFile: { id: string; level: string; message: string }[];
    errors: string[];
  };
}

export const bridge = (extra: object = {}, ipam: object | undefined = { type: "host-local", ranges: [[{ subnet: "10.2.0.0/24" }]] }) => ({
  type: "bridge",
  bridge: "br-v",
  ...(ipam === undefined ? {} : { ipam }),
  ...extra,
});
export const list = (name: string, ...plugins: object[]) => ({ cniVersion: "1.0.0", name, plugins });
export const hostLocal = (range: object) => ({ type: "host-local", ranges: [[range]] });

export const V191 = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");

/** v1.9.1's `plugin` ADD on `stdin`: its error message (the config cases used here fail before any change). */
export function v191(plugin: string, stdin: string): string {
  const env = { CNI_COMMAND: "ADD", CNI_CONTAINERID: "validate-oracle", CNI_NETNS: "/nonexistent/netns", CNI_IFNAME: "eth0", CNI_PATH: V191 };
  const r = Bun.spawnSync([join(V191, plugin)], { env, stdin: new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).not.toBe(0);
  return (JSON.parse(r.stdout.toString()) as { msg: string }).msg;
}

export function validateFixture() {
  const tmp = tempDir("tscni-validate-");
  afterAll(() => tmp[Symbol.dispose]());
  let seq = 0;

  /** Writes `files` into a fresh conf dir. */
  function confDir(files: Record<string, unknown>): string {
    const dir = join(tmp.path, `conf${++seq}`);
    mkdirSync(dir);
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), typeof body === "string" ? body : JSON.stringify(body));
    return dir;
  }

  async function validate(args: { confDirs?: string[]; files?: string[]; binDir?: string }): Promise<Outcome> {
    const run = async (json: boolean): Promise<[number, string]> => {
      let text = "";
      const code = await validateCommand({
        confDirs: args.confDirs ?? [],
        files: args.files ?? [],
        binDir: args.binDir ?? BIN,
        json,
        env: {},
        registry: pluginEntry,
        out: (t) => void (text += t),
      });
      return [code, text];
    };
    const [code, text] = await run(false);
    const [jsonCode, jsonText] = await run(true);
    expect(jsonCode).toBe(code);
    const json = JSON.parse(jsonText) as Outcome["json"];
    expect(json.ok).toBe(code === 0);
    expect(json.schemaVersion).toBeNumber();
    return { code, text, json };
  }

  /** The problems of the only file, as "path: message". */
  async function problemsOf(conflist: object): Promise<string[]> {
    const r = await validate({ confDirs: [confDir({ "10-net.conflist": conflist })] });
    expect(r.code).toBe(1);
    return r.json.files.flatMap((f) => f.problems.map((p) => `${p.path}: ${p.message}`));
  }

  return { tmp, confDir, validate, problemsOf };
}
