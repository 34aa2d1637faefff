/**
 * loopback: the same requests to Debian's reference binary and to ours, each in its own fresh
 * container namespace; normalised stdout, exit status and the resulting `lo` state must match.
 * What v1.1.1 cannot show (spec 1.1.0, GC, STATUS) is compared with v1.9 golden fixtures.
 */
import { describe, expect, test } from "bun:test";
import fixtures from "../fixtures/v1.9/loopback.json" with { type: "json" };
import { ipJson, reference, requireIsolatedHost, runCni, type CniCall, tempNetns, type TempNetns, tscni } from "../harness.ts";
import { normalizeOutput } from "./normalize.ts";

requireIsolatedHost();

const ORACLE_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", undefined] as const;

async function kernelState(ns: TempNetns): Promise<unknown> {
  const links = await ipJson<{ ifname: string; flags: string[] }[]>(["link", "show", "lo"], ns);
  const addrs = await ipJson<{ addr_info: { local: string; prefixlen: number; family: string }[] }[]>(["addr", "show", "lo"], ns);
  return { flags: links[0]?.flags, addrs: addrs[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`) };
}

/** Runs `steps` against one implementation in a fresh netns; returns outputs and end state. */
async function scenario(binary: string, steps: Omit<CniCall, "netns">[]): Promise<unknown[]> {
  await using ns = await tempNetns();
  const out: unknown[] = [];
  for (const step of steps) {
    const r = await runCni(binary, { containerId: "ctr1", ifname: "eth0", path: "/opt/cni/bin", netns: ns.path, ...step });
    out.push({ code: r.code, stdout: normalizeOutput(r.stdout.replaceAll(ns.path, "@NETNS@")) });
    out.push(await kernelState(ns));
  }
  return out;
}

async function compare(steps: Omit<CniCall, "netns">[]): Promise<void> {
  const [ours, theirs] = [await scenario(tscni("loopback"), steps), await scenario(reference("loopback"), steps)];
  expect(ours).toEqual(theirs);
}

const conf = (cniVersion: string | undefined, extra: object = {}) => ({ ...(cniVersion ? { cniVersion } : {}), name: "lo-net", type: "loopback", ...extra });

describe("loopback vs reference", () => {
  test.each(ORACLE_VERSIONS.map((v) => [v ?? "absent", v]))("ADD, DEL, DEL at cniVersion %s", async (_label, version) => {
    await compare([
      { command: "ADD", stdin: conf(version) },
      { command: "DEL", stdin: conf(version) },
      { command: "DEL", stdin: conf(version) },
    ]);
  });

  test.each(["0.4.0", "1.0.0"])("CHECK up and after DEL at %s", async (version) => {
    await compare([
      { command: "ADD", stdin: conf(version) },
      { command: "CHECK", stdin: conf(version) },
      { command: "DEL", stdin: conf(version) },
      { command: "CHECK", stdin: conf(version) },
    ]);
  });

  test("prevResult passthrough and family mismatch", async () => {
    const prev031 = { cniVersion: "0.3.1", interfaces: [{ name: "eth0", sandbox: "/x" }], ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }], dns: {} };
    await compare([
      { command: "ADD", stdin: conf("0.4.0", { prevResult: prev031 }) },
      { command: "ADD", stdin: conf("1.0.0", { prevResult: prev031 }) },
    ]);
  });

  test.each([
    ["empty stdin", ""],
    ["invalid JSON", "{x"],
    ["null", "null"],
    ["missing name", '{"cniVersion":"1.0.0"}'],
    ["bad name", '{"cniVersion":"1.0.0","name":"a b"}'],
    ["version 9.9.9", '{"cniVersion":"9.9.9","name":"n"}'],
    ["version 1.0", '{"cniVersion":"1.0","name":"n"}'],
  ])("ADD with %s: same code and message", async (_name, stdin) => {
    await compare([{ command: "ADD", stdin }]);
  });

  test.each([
    ["no command", { CNI_COMMAND: undefined }],
    ["unknown command", { CNI_COMMAND: "FOO" }],
    ["no CNI_PATH", { CNI_PATH: undefined }],
    ["bad container id", { CNI_CONTAINERID: "-x" }],
    ["long ifname", { CNI_IFNAME: "abcdefghijklmnop" }],
    ["ifname with colon", { CNI_IFNAME: "a:b" }],
  ])("env %s: same outcome", async (_name, env) => {
    await compare([{ command: "ADD", stdin: conf("1.0.0"), env }]);
  });

  test("CHECK below 0.4.0 is refused the same way", async () => {
    await compare([{ command: "CHECK", stdin: conf("0.3.1") }]);
  });
});

describe("loopback vs v1.9 golden fixtures (beyond the v1.1.1 oracle)", () => {
  test("ADD at 1.1.0", async () => {
    await using ns = await tempNetns();
    const f = fixtures["add-1.1.0"];
    const r = await runCni(tscni("loopback"), { command: "ADD", containerId: "c", netns: ns.path, ifname: "eth0", path: "/x", stdin: f.stdin });
    expect(r.stdout).toBe(f.stdout.replace("@NETNS@", ns.path));
  });

  test.each(["gc-1.1.0", "status-1.1.0", "gc-1.0.0"] as const)("%s", async (name) => {
    const f = fixtures[name];
    const command = name.startsWith("gc") ? "GC" : "STATUS";
    const r = await runCni(tscni("loopback"), { command, path: "/x", stdin: f.stdin });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: f.code, stdout: f.stdout });
  });
});
