import { describe, expect, test } from "bun:test";
import { type CmdArgs, CniError, dispatch, type PluginDef, SUPPORTED_VERSIONS } from "../../../src/cni/index.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  calls: CmdArgs[];
  json: { code?: number; msg?: string; details?: string } & Record<string, unknown>;
}

const full = { CNI_CONTAINERID: "c1", CNI_NETNS: "/nonexistent/ns", CNI_IFNAME: "eth0", CNI_PATH: "/opt/cni/bin" };

async function run(env: Record<string, string>, stdin: string | object = { cniVersion: "1.1.0", name: "net" }, plugin?: Partial<PluginDef>, ownNetns?: boolean): Promise<Run> {
  const calls: CmdArgs[] = [];
  let stdout = "";
  let stderr = "";
  const def: PluginDef = {
    name: "fake",
    add: async (a) => {
      calls.push(a);
      return { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24" }] };
    },
    del: async (a) => void calls.push(a),
    check: async (a) => void calls.push(a),
    ...plugin,
  };
  const code = await dispatch(
    { name: "fake", buildVersion: "tscni test", load: async () => def },
    {
      env,
      readStdin: async () => new TextEncoder().encode(typeof stdin === "string" ? stdin : JSON.stringify(stdin)),
      writeStdout: (t) => void (stdout += t),
      writeStderr: (t) => void (stderr += t),
      isOwnNetns: () => ownNetns,
    },
  );
  let json = {};
  try {
    json = JSON.parse(stdout);
  } catch {}
  return { code, stdout, stderr, calls, json };
}

describe("environment", () => {
  test("no CNI_COMMAND prints the about text on stderr and exits 0", async () => {
    const r = await run({});
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(r.stderr).toBe(`CNI fake plugin tscni test\nCNI protocol versions supported: ${SUPPORTED_VERSIONS.join(", ")}\n`);
  });

  test.each([
    ["ADD", "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH"],
    ["CHECK", "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH"],
    ["DEL", "CNI_CONTAINERID,CNI_IFNAME,CNI_PATH"],
    ["GC", "CNI_PATH"],
    ["STATUS", "CNI_PATH"],
  ])("%s with nothing set lists every missing variable", async (cmd, list) => {
    const r = await run({ CNI_COMMAND: cmd });
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ code: 4, msg: `required env variables [${list}] missing` });
    expect(r.calls).toHaveLength(0);
  });

  test("an invalid container ID wins over later missing variables", async () => {
    const r = await run({ CNI_COMMAND: "ADD", CNI_CONTAINERID: "-bad" });
    expect(r.json).toEqual({ code: 4, msg: "invalid characters in containerID", details: "-bad" });
  });

  test.each([
    ["0123456789abcdef", "interface name is too long"],
    [".", "interface name is . or .."],
    ["..", "interface name is . or .."],
    ["a/b", "interface name contains / or : or whitespace characters"],
    ["a:b", "interface name contains / or : or whitespace characters"],
    ["a b", "interface name contains / or : or whitespace characters"],
  ])("ifname %p → code 4 %s", async (ifname, msg) => {
    const r = await run({ ...full, CNI_COMMAND: "ADD", CNI_IFNAME: ifname });
    expect(r.json).toMatchObject({ code: 4, msg });
    expect(r.calls).toHaveLength(0);
  });

  test("GC and STATUS do not validate container ID or ifname", async () => {
    const r = await run({ CNI_COMMAND: "GC", CNI_PATH: "/x", CNI_CONTAINERID: "-bad", CNI_IFNAME: "a/b" });
    expect(r).toMatchObject({ code: 0, stdout: "" });
  });

  test("VERSION ignores stdin and prints the compact document with a newline", async () => {
    const r = await run({ CNI_COMMAND: "VERSION" }, "garbage");
    expect(r.stdout).toBe(`{"cniVersion":"1.1.0","supportedVersions":${JSON.stringify(SUPPORTED_VERSIONS)}}\n`);
    expect(r.code).toBe(0);
  });

  test("unknown command with valid stdin is code 4, with empty stdin code 6", async () => {
    expect((await run({ CNI_COMMAND: "add" })).json).toEqual({ code: 4, msg: "unknown CNI_COMMAND: add" });
    expect((await run({ CNI_COMMAND: "FOO" }, "")).json.code).toBe(6);
  });
});

describe("stdin pre-validation (§1.3)", () => {
  test.each([
    ["", 6, "error unmarshall network config: unexpected end of JSON input"],
    ["null", 7, "missing network name"],
    ["[]", 6, undefined],
    ['{"name":"a"} trailing', 6, undefined],
    ['{"name":5}', 6, "error unmarshall network config: json: cannot unmarshal number into Go struct field .name of type string"],
    ["{}", 7, "missing network name"],
    ['{"name":"-x"}', 7, "invalid characters found in network name"],
    ['{"name":"a b"}', 7, "invalid characters found in network name"],
    ['{"name":"a/b"}', 7, "invalid characters found in network name"],
    ['{"name":"a","cniVersion":1}', 6, "decoding version from network config: json: cannot unmarshal number into Go struct field .cniVersion of type string"],
  ])("stdin %p → code %d", async (stdin, code, msg) => {
    const r = await run({ ...full, CNI_COMMAND: "ADD" }, stdin);
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(code);
    if (msg !== undefined) expect(r.json.msg).toBe(msg);
    expect(r.calls).toHaveLength(0);
  });

  test("name a.b-c_d is accepted; keys match case-insensitively", async () => {
    const r = await run({ ...full, CNI_COMMAND: "ADD" }, { CNIVERSION: "1.0.0", NAME: "a.b-c_d" });
    expect(r.code).toBe(0);
    expect(r.calls[0]?.cniVersion).toBe("1.0.0");
  });
});

describe("version gating (§1.6)", () => {
  const gate = async (cmd: string, cniVersion: string) =>
    (await run({ ...full, CNI_COMMAND: cmd }, { cniVersion, name: "n" })).json;

  test("ADD/DEL need an exact supported version", async () => {
    for (const v of ["2.0.0", "1.0", "1.0.5", "1.x.0"]) {
      expect(await gate("ADD", v)).toEqual({
        code: 1,
        msg: "incompatible CNI versions",
        details: `config is "${v}", plugin supports ["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]`,
      });
      expect((await gate("DEL", v)).code).toBe(1);
    }
  });

  test("absent cniVersion means 0.1.0 and the result is in 0.1.0 form", async () => {
    const r = await run({ ...full, CNI_COMMAND: "ADD" }, { name: "n" });
    expect(r.json).toEqual({ cniVersion: "0.1.0", ip4: { ip: "10.0.0.2/24" }, dns: {} });
  });

  test("CHECK, GC and STATUS thresholds and messages", async () => {
    expect(await gate("CHECK", "0.3.1")).toEqual({ code: 1, msg: "config version does not allow CHECK" });
    expect(await gate("CHECK", "2.0.0")).toEqual({ code: 1, msg: "plugin version does not allow CHECK" });
    expect((await gate("CHECK", "1.x.0")).code).toBe(6);
    expect((await gate("CHECK", "1.0.5")).msg).toBe("incompatible CNI versions");
    expect(await gate("GC", "1.0.0")).toEqual({ code: 1, msg: "config version does not allow GC" });
    expect(await gate("STATUS", "1.0.0")).toEqual({ code: 1, msg: "config version does not allow STATUS" });
    expect(await gate("STATUS", "2.0.0")).toEqual({ code: 1, msg: "plugin version does not allow STATUS" });
  });

  test("GC and STATUS without an implementation succeed silently at 1.1.0", async () => {
    for (const cmd of ["GC", "STATUS"]) {
      const r = await run({ CNI_COMMAND: cmd, CNI_PATH: "/x" }, { cniVersion: "1.1.0", name: "n" });
      expect(r).toMatchObject({ code: 0, stdout: "" });
    }
  });
});

describe("results and errors", () => {
  test("ADD prints the result converted to the config version, 4-space indented, no newline", async () => {
    const r = await run({ ...full, CNI_COMMAND: "ADD" }, { cniVersion: "0.4.0", name: "n" });
    expect(r.stdout).toBe(
      JSON.stringify({ cniVersion: "0.4.0", ips: [{ version: "4", address: "10.0.0.2/24" }], dns: {} }, null, 4),
    );
  });

  test("a CNI error from the plugin passes through untouched; others become 999", async () => {
    const coded = await run({ ...full, CNI_COMMAND: "DEL" }, undefined, {
      del: async () => {
        throw new CniError(1234, "custom", "why");
      },
    });
    expect(coded.stdout).toBe('{\n    "code": 1234,\n    "msg": "custom",\n    "details": "why"\n}');
    const plain = await run({ ...full, CNI_COMMAND: "CHECK" }, undefined, {
      check: async () => {
        throw new Error("boom <nil>");
      },
    });
    expect(plain.stdout).toBe('{\n    "code": 999,\n    "msg": "boom \\u003cnil\\u003e"\n}');
    expect(plain.code).toBe(1);
  });

  test("the plugin's own netns is refused before the plugin acts, unless overridden", async () => {
    const refused = await run({ ...full, CNI_COMMAND: "ADD" }, undefined, undefined, true);
    expect(refused.json).toEqual({ code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same" });
    expect(refused.calls).toHaveLength(0);
    for (const override of ["1", "true", "TRUE"]) {
      const ok = await run({ ...full, CNI_COMMAND: "ADD", CNI_NETNS_OVERRIDE: override }, undefined, undefined, true);
      expect(ok.code).toBe(0);
    }
  });

  test("the plugin receives the exact stdin bytes and env", async () => {
    const stdin = '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"host-local"}}';
    const r = await run({ ...full, CNI_COMMAND: "ADD", CNI_ARGS: "A=b" }, stdin);
    const call = r.calls[0];
    expect(new TextDecoder().decode(call?.stdin)).toBe(stdin);
    expect(call).toMatchObject({ containerId: "c1", ifname: "eth0", netns: "/nonexistent/ns", args: "A=b", path: "/opt/cni/bin" });
  });
});
