/**
 * Adding a plugin is its folder under plugins/ plus one line in plugins/registry.ts: a copy of
 * the tree gets a tiny plugin that way, the real build script compiles it, and the new name
 * answers VERSION and runs the plugin's own code through its link, and `tscni install` would
 * link it. Nothing else in the copy is edited, so a list of plugin names kept anywhere else
 * fails this test.
 */
import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, NETNS_TIMEOUT, repoRoot, SPEC_VERSIONS, SYSTEM_PATH, tempDir } from "../../harness.ts";

const NAME = "tiny";

const CONFIG_TS = `import * as v from "valibot";
import { NetConfEntries, goStruct } from "../../src/cni/index.ts";

/** The tiny plugin's config: the common keys and a greeting. */
export const TinyConfig = goStruct("TinyConf", "main.TinyConf", { ...NetConfEntries, greeting: v.optional(v.string(), "hello") });
export type TinyConfig = v.InferOutput<typeof TinyConfig>;
`;

const INDEX_TS = `import { type CmdArgs, decodeConfig, internalError, type Result } from "../../src/cni/index.ts";
import { NOTHING, type PluginEntry } from "../../src/container/index.ts";
import { TinyConfig } from "./config.ts";

async function add(args: CmdArgs): Promise<Result> {
  return { cniVersion: decodeConfig(TinyConfig, args.config).cniVersion };
}

async function del(args: CmdArgs): Promise<void> {
  throw internalError(\`tiny says \${decodeConfig(TinyConfig, args.config).greeting}\`);
}

async function check(): Promise<void> {}

export const tiny: PluginEntry = {
  name: "tiny",
  add,
  del,
  check,
  checkConfig: async (config, problems) => void problems.decode(TinyConfig, config),
  describe: async () => NOTHING,
};
`;

/** The registry with one more entry, written the way the existing ones are. */
function withTinyEntry(registry: string): string {
  const anchor = /^(\s*)loopback: (.*)$/m;
  const m = anchor.exec(registry);
  if (m === null) throw new Error("plugins/registry.ts has no loopback entry to copy the form of");
  const line = `${m[1]}${NAME}: async () => (await import("./${NAME}/index.ts")).${NAME},`;
  return registry.replace(anchor, `${m[0]}\n${line}`);
}

describe("a new plugin is a folder plus one registry line", () => {
  test(
    "the fixture plugin builds into the binary and answers through its link",
    async () => {
      using tmp = tempDir("tscni-skeleton-");
      const tree = join(tmp.path, "tree");
      for (const part of ["src", "plugins", "build", "package.json", "tsconfig.json"]) cpSync(join(repoRoot, part), join(tree, part), { recursive: true });
      symlinkSync(join(repoRoot, "node_modules"), join(tree, "node_modules"));
      mkdirSync(join(tree, "plugins", NAME));
      writeFileSync(join(tree, "plugins", NAME, "config.ts"), CONFIG_TS);
      writeFileSync(join(tree, "plugins", NAME, "index.ts"), INDEX_TS);
      const registry = join(tree, "plugins", "registry.ts");
      writeFileSync(registry, withTinyEntry(readFileSync(registry, "utf8")));

      const outfile = join(tmp.path, "dist", "tscni");
      const build = await exec([process.execPath, join(tree, "build", "compile.ts"), "--outfile", outfile], { cwd: tree, env: { PATH: SYSTEM_PATH } });
      expect(build.stderr).toBe("");
      expect(build.code).toBe(0);

      const link = join(tmp.path, "dist", NAME);
      const version = await exec([link], { env: { PATH: SYSTEM_PATH, CNI_COMMAND: "VERSION" }, stdin: "" });
      expect({ code: version.code, doc: JSON.parse(version.stdout) as unknown }).toEqual({
        code: 0,
        doc: { cniVersion: "1.1.0", supportedVersions: [...SPEC_VERSIONS] },
      });

      const env = { PATH: SYSTEM_PATH, CNI_COMMAND: "DEL", CNI_CONTAINERID: "c1", CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" };
      const conf = JSON.stringify({ cniVersion: "1.1.0", name: "net", type: NAME, greeting: "hi" });
      const del = await exec([link], { env, stdin: conf });
      expect({ code: del.code, error: JSON.parse(del.stdout) as unknown }).toEqual({ code: 1, error: { code: 999, msg: "tiny says hi" } });

      // validate checks a config using it with the plugin's own checks, through its registry entry.
      const confFile = join(tmp.path, "tiny.conf");
      writeFileSync(confFile, JSON.stringify({ cniVersion: "1.1.0", name: "net", type: NAME, greeting: 5 }));
      const validate = await exec([outfile, "validate", confFile, "--bin-dir", join(tmp.path, "dist")], { env: { PATH: SYSTEM_PATH } });
      expect(validate.code).toBe(1);
      expect(validate.stdout).toContain("error greeting: ");

      // The installer takes its list from the same registry: it would link the new name too.
      const install = await exec([outfile, "install", "--dir", join(tmp.path, "bin"), "--dry-run"], { env: { PATH: SYSTEM_PATH } });
      expect(install.code).toBe(0);
      expect(install.stdout).toContain(`would link ${join(tmp.path, "bin", NAME)} -> tscni`);
    },
    NETNS_TIMEOUT * 3,
  );
});
