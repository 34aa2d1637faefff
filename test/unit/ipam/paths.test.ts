import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { tempDir } from "../../harness.ts";
import { checkAttachment, networkDir } from "../../../src/ipam/host-local/paths.ts";
import { hostLocal } from "../../../src/ipam/host-local/plugin.ts";
import { cmdArgs } from "./helpers.ts";

const code = (f: () => unknown): number | string => {
  try {
    f();
  } catch (e) {
    return (e as { code?: number }).code ?? "plain error";
  }
  return "no error";
};

describe("path safety", () => {
  test("the network dir is one component under dataDir", () => {
    expect(networkDir("/data", "mynet")).toBe("/data/mynet");
    expect(networkDir("/data/", "a..b")).toBe("/data/a..b");
    expect(networkDir("rel", "n").endsWith("/rel/n")).toBe(true);
  });

  test.each(["..", ".", "../x", "a/b", "/abs", "a\u0000b", "", "-x", ".hidden", "a b", "x".repeat(256)])(
    "network name %p is refused with code 7",
    (name) => expect(code(() => networkDir("/data", name))).toBe(7),
  );

  test.each<[string, string]>([
    ["../../etc", "eth0"],
    ["a/b", "eth0"],
    ["a\r\nb", "eth0"],
    ["a\u0000", "eth0"],
    ["", "eth0"],
    ["ok", "../x"],
    ["ok", ".."],
    ["ok", "a/b"],
    ["ok", "a\r\nb"],
    ["ok", "a\u0000b"],
    ["ok", "0123456789abcdef"],
    ["ok", ""],
  ])("attachment (%p, %p) is refused with code 4", (id, ifname) => {
    expect(code(() => checkAttachment(id, ifname))).toBe(4);
  });

  test("a hostile name reaching the verbs writes nothing", async () => {
    using tmp = tempDir();
    const conf = { cniVersion: "1.0.0", name: "../escape", ipam: { dataDir: `${tmp.path}/d`, subnet: "10.0.0.0/24" } };
    await expect(hostLocal.add(cmdArgs("ADD", conf))).rejects.toMatchObject({ code: 7 });
    const ok = { ...conf, name: "n" };
    await expect(hostLocal.add(cmdArgs("ADD", ok, { containerId: "../../x" }))).rejects.toMatchObject({ code: 4 });
    await expect(hostLocal.del(cmdArgs("DEL", ok, { ifname: "a\nb" }))).rejects.toMatchObject({ code: 4 });
    expect(readdirSync(tmp.path)).toEqual([]);
  });
});
