/**
 * The CLI framework in-process: every command rejects what its declaration does not allow with
 * exit 2 before doing anything, help comes from citty without colours outside a terminal, and
 * repeated flags are read once, in order.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandDef } from "citty";
import { scanArgs, typedArgs, UsageError } from "../../../src/cli/command-line.ts";
import { type Io, rootCommand, runCli } from "../../../src/cli/index.ts";
import { PLUGIN_NAMES } from "../../../plugins/registry.ts";
import { tempDir } from "../../harness.ts";

interface Captured {
  io: Io;
  out: string[];
  err: string[];
}

function capture(tty = false, env: Record<string, string> = {}): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { env, out: (t) => void out.push(t), err: (t) => void err.push(t), stdoutIsTty: tty, stderrIsTty: tty },
  };
}

const deps = { pluginNames: PLUGIN_NAMES, runPlugin: async () => 0 };

/** Every runnable command as its argv prefix (["gc"], ["run", "add"], …). */
async function leaves(): Promise<string[][]> {
  const c = capture();
  const root = rootCommand({ ...c.io, deps, setExit: () => {} });
  const found: string[][] = [];
  const walk = async (cmd: CommandDef, path: string[]): Promise<void> => {
    const subs = typeof cmd.subCommands === "function" ? await cmd.subCommands() : await cmd.subCommands;
    if (subs === undefined) {
      found.push(path);
      return;
    }
    for (const [name, sub] of Object.entries(subs)) {
      await walk((typeof sub === "function" ? await sub() : await sub) as CommandDef, [...path, name]);
    }
  };
  await walk(root, []);
  return found;
}

describe("every command", () => {
  test("the tree holds the commands operators use", async () => {
    const names = (await leaves()).map((p) => p.join(" "));
    for (const n of ["version", "plugin", "install", "run add", "run check", "run del", "run gc", "run status", "validate", "doctor", "gc", "help"]) {
      expect(names).toContain(n);
    }
  });

  test("an unknown flag: exit 2, nothing on stdout, one line naming the flag and where help is", async () => {
    for (const path of await leaves()) {
      // Positionals first, so a required one is never what is missing.
      for (const bad of ["--no-such-flag", "--no-such-flag=1", "-Z"]) {
        const c = capture();
        const code = await runCli([...path, "a", "b", bad], deps, c.io);
        expect({ path, bad, code }).toEqual({ path, bad, code: 2 });
        expect(c.out.join("")).toBe("");
        expect(c.err.join("")).toContain(`tscni: unknown flag ${bad.split("=")[0]}`);
        expect(c.err.join("")).toContain(`Run 'tscni ${path.join(" ")} --help' for usage.`);
      }
    }
  });

  test("gc --apply with a typo'd flag frees nothing", async () => {
    using d = tempDir();
    const net = join(d.path, "data", "n1");
    mkdirSync(net, { recursive: true });
    writeFileSync(join(net, "10.0.0.2"), "gone\r\neth0");
    mkdirSync(join(d.path, "net.d"));
    writeFileSync(
      join(d.path, "net.d", "n1.conf"),
      JSON.stringify({ cniVersion: "1.0.0", name: "n1", type: "host-local", ipam: { type: "host-local", subnet: "10.0.0.0/24", dataDir: join(d.path, "data") } }),
    );
    const c = capture();
    const argv = ["gc", "--apply", "--conf-dir", join(d.path, "net.d"), "--cache-dir", join(d.path, "c"), "--grace-period", "0", "--vaild", "x:eth0"];
    expect(await runCli(argv, deps, c.io)).toBe(2);
    expect(existsSync(join(net, "10.0.0.2"))).toBe(true);
  });

  test("unknown command, missing argument, extra argument, bad flag values: exit 2", async () => {
    const group = capture();
    expect(await runCli(["run"], deps, group.io)).toBe(2);
    expect(group.err.join("")).toContain("USAGE tscni run");
    for (const argv of [["frobnicate"], ["help", "frobnicate"], ["run", "add"], ["run", "add", "net"], ["version", "extra"], ["--bogus", "version"], ["run", "--bogus", "add", "n", "/run/netns/x"], ["run", "--conf-dir=/x", "gc", "n"], ["gc", "--conf-dir"], ["gc", "--grace-period", "ten"], ["version", "--json=maybe"]]) {
      const c = capture();
      expect({ argv, code: await runCli(argv, deps, c.io) }).toEqual({ argv, code: 2 });
      expect(c.out.join("")).toBe("");
      expect(c.err.join("")).toStartWith("tscni: ");
    }
  });
});

describe("messages of a wrong command line", () => {
  test("an unknown command reads the same at every level: lower case, the word quoted", async () => {
    for (const argv of [["frobnicate"], ["run", "frobnicate"], ["help", "frobnicate"]]) {
      const c = capture();
      expect(await runCli(argv, deps, c.io)).toBe(2);
      expect(c.err.join("")).toStartWith('tscni: unknown command "frobnicate"\n');
    }
  });

  test("`tscni plugin nosuch`: exit 2 with a message naming the plugins; nothing runs", async () => {
    let ran = 0;
    const c = capture();
    const code = await runCli(["plugin", "nosuch"], { pluginNames: PLUGIN_NAMES, runPlugin: async () => ++ran }, c.io);
    expect(code).toBe(2);
    expect(ran).toBe(0);
    expect(c.out).toEqual([]);
    expect(c.err.join("")).toStartWith(`tscni: unknown plugin "nosuch" (this binary runs ${PLUGIN_NAMES.join(", ")})\n`);
  });
});

describe("help and version", () => {
  test("no arguments: usage on stderr, nothing on stdout, exit 2", async () => {
    const c = capture();
    expect(await runCli([], deps, c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join("")).toContain("USAGE");
    expect(c.err.join("")).toContain("doctor");
  });

  test("`tscni help`, `tscni help run add`, `--help` anywhere: usage of that command on stdout, exit 0", async () => {
    const root = capture();
    expect(await runCli(["help"], deps, root.io)).toBe(0);
    expect(root.out.join("")).toContain("USAGE tscni");
    const runAdd = capture();
    expect(await runCli(["help", "run", "add"], deps, runAdd.io)).toBe(0);
    expect(runAdd.out.join("")).toContain("USAGE tscni run add");
    expect(runAdd.out.join("")).toContain("--container-id");
    const flag = capture();
    expect(await runCli(["gc", "--apply", "--help"], deps, flag.io)).toBe(0);
    expect(flag.out.join("")).toContain("--grace-period");
    const validate = capture();
    await runCli(["validate", "--help"], deps, validate.io);
    expect(validate.out.join("")).toContain("[FILES]");
  });

  test("the usage names the plugins the registry lists", async () => {
    const c = capture();
    expect(await runCli(["help"], { ...deps, pluginNames: ["bridge", "ptp", "loopback"] }, c.io)).toBe(0);
    expect(c.out.join("")).toStartWith("CNI plugins bridge, ptp and loopback in one binary");
  });

  test("no escape sequences unless a terminal reads it", async () => {
    const pipe = capture(false);
    await runCli(["--help"], deps, pipe.io);
    expect(pipe.out.join("")).not.toContain("\x1b");
    const bad = capture(false);
    await runCli(["frobnicate"], deps, bad.io);
    expect(bad.err.join("")).not.toContain("\x1b");
  });

  test("--version is the version command", async () => {
    const a = capture();
    const b = capture();
    expect(await runCli(["--version"], deps, a.io)).toBe(0);
    expect(await runCli(["version"], deps, b.io)).toBe(0);
    expect(a.out).toEqual(b.out);
    const json = capture();
    await runCli(["version", "--json"], deps, json.io);
    expect(JSON.parse(json.out.join(""))).toMatchObject({ schemaVersion: 1, version: expect.any(String) });
  });
});

describe("flag scanning", () => {
  const def = {
    net: { type: "positional", required: true },
    valid: { type: "string" },
    apply: { type: "boolean" },
    "conf-dir": { type: "string", alias: "c" },
  } as const;

  test("repeated flags keep every value in order, comma lists split", () => {
    const f = scanArgs(["n", "--valid", "a:eth0", "--apply", "--valid=b:eth1,c", "-c", "/x"], def);
    expect(f.list("valid")).toEqual(["a:eth0", "b:eth1", "c"]);
    expect(f.given("valid")).toBe(true);
    expect(f.given("conf-dir")).toBe(true);
    expect(scanArgs(["n"], def).given("valid")).toBe(false);
    expect(scanArgs(["n", "--confDir", "/x", "--no-apply"], def).list("conf-dir")).toEqual(["/x"]);
  });

  test("after -- everything is positional", () => {
    expect(() => scanArgs(["n", "--", "--valid"], def)).toThrow(UsageError);
    expect(scanArgs(["--", "--valid"], def).given("valid")).toBe(false);
    expect(() => scanArgs(["--", "--valid"], def, true)).not.toThrow();
  });

  test("the typed args come from the same reading: the last value counts, --no-x where it stands, defaults, positionals", () => {
    const withDefault = { ...def, grace: { type: "string", default: "600" } } as const;
    const args = (argv: string[]) => typedArgs(withDefault, scanArgs(argv, withDefault, true));
    expect(args(["n", "--apply", "--no-apply"]).apply).toBe(false);
    expect(args(["n", "--no-apply", "--apply"]).apply).toBe(true);
    expect(args(["n", "--apply=false"]).apply).toBe(false);
    expect(args(["n"]).apply).toBeUndefined();
    expect(args(["n", "--valid", "a", "--valid", "b"]).valid).toBe("b");
    expect(args(["n"]).grace).toBe("600");
    expect(args(["n", "--grace=5"]).grace).toBe("5");
    expect(args(["n", "more", "-c", "/x"])).toMatchObject({ net: "n", _: ["n", "more"], "conf-dir": "/x" });
    expect(() => args([])).toThrow("missing argument <NET>");
  });
});
