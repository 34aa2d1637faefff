import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CniError, delegate, findPlugin, pathDirs } from "../../../src/cni/index.ts";
import { tempDir } from "../../harness.ts";

function fakePlugin(dir: string, name: string, script: string): void {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
}

const call = (dir: string, plugin: string, command: "ADD" | "DEL" = "ADD") =>
  delegate({ plugin, command, stdin: new TextEncoder().encode('{"cniVersion":"1.0.0","name":"n"}'), env: { CNI_PATH: `/nonexistent:${dir}`, CNI_ARGS: "IgnoreUnknown=1" }, cniVersion: "1.0.0" });

describe("findPlugin", () => {
  test("error messages", () => {
    expect(() => findPlugin("", ["/a"])).toThrow("no plugin name provided");
    expect(() => findPlugin("a/b", ["/a"])).toThrow("invalid plugin name: a/b");
    expect(() => findPlugin("x", pathDirs(""))).toThrow("no paths provided");
    expect(() => findPlugin("nope", pathDirs("/dir1::/dir2"))).toThrow('failed to find plugin "nope" in path [/dir1 /dir2]');
  });

  test("first regular file wins; directories are skipped", () => {
    using a = tempDir();
    using b = tempDir();
    mkdirSync(join(a.path, "p"));
    fakePlugin(b.path, "p", "exit 0");
    expect(findPlugin("p", [a.path, b.path])).toBe(join(b.path, "p"));
  });

  test("a link is followed (a dangling one or one to a directory is skipped); the path is joined as node joins it", () => {
    using a = tempDir();
    using b = tempDir();
    mkdirSync(join(a.path, "d"));
    symlinkSync(join(a.path, "d"), join(a.path, "p"));
    symlinkSync(join(a.path, "gone"), join(a.path, "q"));
    fakePlugin(b.path, "real", "exit 0");
    symlinkSync(join(b.path, "real"), join(b.path, "p"));
    symlinkSync("real", join(b.path, "q"));
    const messy = `${b.path}//./x/../`;
    expect(findPlugin("p", [a.path, messy])).toBe(join(messy, "p"));
    expect(findPlugin("q", [a.path, b.path])).toBe(join(b.path, "q"));
  });
});

describe("delegate", () => {
  test("passes stdin and env with CNI_COMMAND replaced, parses the result with the config version", async () => {
    using dir = tempDir();
    fakePlugin(
      dir.path,
      "ipam",
      `read -r conf; [ "$CNI_COMMAND" = ADD ] && [ "$CNI_ARGS" = IgnoreUnknown=1 ] && [ "$conf" = '{"cniVersion":"1.0.0","name":"n"}' ] || exit 3
printf '{"ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1"}]}'`,
    );
    expect(await call(dir.path, "ipam")).toEqual({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1" }] });
  });

  test("a delegate's CNI error comes back unchanged", async () => {
    using dir = tempDir();
    fakePlugin(dir.path, "ipam", `printf '{"code":11,"msg":"busy","details":"d"}'; exit 1`);
    const err = await call(dir.path, "ipam").catch((e: unknown) => e);
    expect((err as CniError).toJSON()).toEqual({ code: 11, msg: "busy", details: "d" });
  });

  test("no error document: code 0 with libcni's wording", async () => {
    using dir = tempDir();
    fakePlugin(dir.path, "quiet", `echo oops >&2; exit 1`);
    fakePlugin(dir.path, "garbled", `printf 'not json'; exit 1`);
    fakePlugin(dir.path, "silent", `exit 1`);
    const quiet = (await call(dir.path, "quiet").catch((e: unknown) => e)) as CniError;
    expect(quiet.toJSON()).toEqual({ code: 0, msg: 'netplugin failed: "oops\\n"' });
    const garbled = (await call(dir.path, "garbled").catch((e: unknown) => e)) as CniError;
    expect(garbled.code).toBe(0);
    expect(garbled.message).toStartWith('netplugin failed but error parsing its diagnostic message "not json": ');
    expect(((await call(dir.path, "silent").catch((e: unknown) => e)) as CniError).message).toStartWith("netplugin failed with no error message");
  });

  test("DEL returns nothing", async () => {
    using dir = tempDir();
    fakePlugin(dir.path, "ipam", `[ "$CNI_COMMAND" = DEL ] || exit 1`);
    expect(await call(dir.path, "ipam", "DEL")).toBeUndefined();
  });
});
