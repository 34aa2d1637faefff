/**
 * README "Running a plugin by hand", run as written (minus `make build`: `make test` has built
 * dist/ already). `unshare` is slowed down on purpose, as on a loaded node: a snippet that does not
 * wait for the sleeper to leave the host's namespace hands the plugin the host's own netns, and
 * loopback refuses it (code 8).
 */
import { expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, NETNS_TIMEOUT, repoRoot, requireIsolatedHost, SYSTEM_PATH, tempDir } from "../harness.ts";

requireIsolatedHost();

function snippet(): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Running a plugin by hand"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error("README: no sh block under 'Running a plugin by hand'");
  return block.replace(/^make build$/m, ":");
}

test(
  "the snippet works on a slow node",
  async () => {
    using d = tempDir();
    const slowUnshare = join(d.path, "unshare");
    writeFileSync(slowUnshare, `#!/bin/sh\nsleep 0.5\nexec /usr/bin/unshare "$@"\n`);
    chmodSync(slowUnshare, 0o755);
    const r = await exec(["bash", "-e", "-c", snippet()], { env: { PATH: `${d.path}:${SYSTEM_PATH}` }, cwd: repoRoot });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"cniVersion": "1.1.0"');
    expect(r.stdout).toContain('"address": "127.0.0.1/8"');
  },
  NETNS_TIMEOUT,
);
