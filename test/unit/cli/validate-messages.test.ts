/** `tscni validate`'s warnings about portmap's place in a list, and its own messages for unreadable input. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { bridge, list, validateFixture } from "./validate-fixture.ts";

const { tmp, confDir, validate } = validateFixture();

describe("portmap's place in the chain: warnings, the list stays valid", () => {
  const portmap = { type: "portmap", capabilities: { portMappings: true } };
  const warningsOf = async (conflist: object): Promise<{ code: number; warnings: string[]; text: string }> => {
    const r = await validate({ confDirs: [confDir({ "10-net.conflist": conflist })] });
    const files = r.json.files as unknown as { warnings: string[] }[];
    return { code: r.code, warnings: files.flatMap((f) => f.warnings), text: r.text };
  };

  test("after an L2 bridge (no gateway, no ipam routes): the host cannot reach the containers", async () => {
    const r = await warningsOf(list("v", bridge(), portmap));
    expect(r.code).toBe(0);
    expect(r.warnings).toEqual([
      'plugins[1] portmap: plugins[0] bridge is an L2 bridge (no gateway, no ipam routes): the host has no address on "br-v", so the ports portmap forwards cannot reach the containers; set "isGateway": true',
    ]);
    expect(r.text).toContain("    warning plugins[1] portmap: plugins[0] bridge is an L2 bridge");
  });

  test("after a bridge without ipam: no container address to forward to", async () => {
    const r = await warningsOf(list("v", { type: "bridge", bridge: "br-v" }, portmap));
    expect(r.warnings).toEqual(["plugins[1] portmap: plugins[0] bridge has no ipam, so its result holds no container address and portmap maps nothing"]);
  });

  test("after loopback only: says portmap must come after the interface-creating plugin", async () => {
    const r = await warningsOf(list("v", { type: "loopback" }, portmap));
    expect(r.code).toBe(0);
    expect(r.warnings[0]).toContain("portmap follows only loopback, which creates no container interface");
    expect(r.warnings[0]).toContain("portmap must come after the plugin that creates the container's interface");
  });

  test("after a gateway bridge, or a bridge with ipam routes: no warning", async () => {
    expect((await warningsOf(list("v", bridge({ isGateway: true }), portmap))).warnings).toEqual([]);
    const routed = bridge({}, { type: "host-local", ranges: [[{ subnet: "10.2.0.0/24" }]], routes: [{ dst: "0.0.0.0/0", gw: "10.2.0.254" }] });
    expect((await warningsOf(list("v", routed, portmap))).warnings).toEqual([]);
  });
});

describe("validate's own messages", () => {
  test("a JSON syntax error says line and column", async () => {
    const dir = confDir({ "10-net.conflist": '{\n  "cniVersion": "1.0.0",\n  "name": "v",\n  "plugins": [ {"type": "loopback",} ]\n}\n' });
    const r = await validate({ confDirs: [dir] });
    expect(r.code).toBe(1);
    expect(r.text).toContain("at line 4, column 36");
  });

  test("a file given that does not exist: no raw ENOENT", async () => {
    const r = await validate({ files: [join(tmp.path, "nonexistent.conflist")] });
    expect(r.code).toBe(1);
    expect(r.text).toContain("nonexistent.conflist: cannot be loaded: no such file");
    expect(r.text).not.toContain("ENOENT");
  });

  test("one name in two files given: names the files, not an empty dir", async () => {
    const dir = confDir({ "a.conflist": list("same", bridge({ isGateway: true })), "b.conflist": list("same", bridge({ isGateway: true })) });
    const r = await validate({ files: [join(dir, "a.conflist"), join(dir, "b.conflist")] });
    const dup = r.json.crossFile.find((c) => c.id === "duplicate-name");
    expect(dup?.message).toStartWith('network "same" is defined in 2 of the files given (a.conflist, b.conflist)');
    expect(r.text).not.toContain(" in :");
  });
});
