/**
 * loopback: the same requests to the v1.9.1 oracle and to tscni, each in its own fresh container
 * namespace; stdout byte for byte (netns path → @NETNS@), stderr (normaliser 1), exit status and the resulting
 * `lo` state must match. Every spec version (absent, 0.1.0 … 1.1.0) and every verb.
 */
import { describe, expect, test } from "bun:test";
import { ipJson, requireIsolatedHost, runCni, type CniCall, tempNetns, type TempNetns, tscni } from "../harness.ts";
import { normalizeAbout } from "./normalize.ts";
import { countCase, v191 } from "./oracles.ts";

requireIsolatedHost();

const VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", undefined] as const;

async function kernelState(ns: TempNetns): Promise<unknown> {
  const links = await ipJson<{ ifname: string; flags: string[] }[]>(["link", "show", "lo"], ns);
  const addrs = await ipJson<{ addr_info: { local: string; prefixlen: number; family: string }[] }[]>(["addr", "show", "lo"], ns);
  return { flags: links[0]?.flags, addrs: addrs[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`) };
}

/** A call (`netns` defaults to the scenario's fresh netns), or a command run in that netns. */
type Step = CniCall | { run: string[] };

/**
 * Runs `steps` against one implementation in a fresh netns (`setup` commands run in it first);
 * returns outputs and the `lo` state after each step.
 */
async function scenario(binary: string, steps: Step[], setup: string[][]): Promise<unknown[]> {
  await using ns = await tempNetns();
  for (const argv of setup) await ns.run(argv);
  const out: unknown[] = [];
  for (const step of steps) {
    if ("run" in step) {
      await ns.run(step.run);
      continue;
    }
    const r = await runCni(binary, { containerId: "ctr1", ifname: "eth0", path: "/opt/cni/bin", netns: ns.path, ...step });
    out.push({ command: step.command, code: r.code, stdout: r.stdout.replaceAll(ns.path, "@NETNS@"), stderr: normalizeAbout(r.stderr) });
    out.push(await kernelState(ns));
  }
  return out;
}

async function compare(steps: Step[], setup: string[][] = []): Promise<void> {
  const [ours, theirs] = [await scenario(tscni("loopback"), steps, setup), await scenario(v191("loopback"), steps, setup)];
  expect(ours).toEqual(theirs);
  for (const s of steps) if (!("run" in s)) countCase("loopback", s.command ?? "(none)");
}

const conf = (cniVersion: string | undefined, extra: object = {}) => ({ ...(cniVersion ? { cniVersion } : {}), name: "lo-net", type: "loopback", ...extra });
const label = (v: string | undefined): string => v ?? "absent";

describe("loopback vs v1.9.1", () => {
  test.each(VERSIONS.map((v) => [label(v), v]))("ADD, DEL, DEL at cniVersion %s", async (_label, version) => {
    await compare([
      { command: "ADD", stdin: conf(version) },
      { command: "DEL", stdin: conf(version) },
      { command: "DEL", stdin: conf(version) },
    ]);
  });

  test.each(VERSIONS.map((v) => [label(v), v]))("CHECK up and after DEL at %s", async (_label, version) => {
    await compare([
      { command: "ADD", stdin: conf(version) },
      { command: "CHECK", stdin: conf(version) },
      { command: "DEL", stdin: conf(version) },
      { command: "CHECK", stdin: conf(version) },
    ]);
  });

  test.each(VERSIONS.map((v) => [label(v), v]))("GC and STATUS at %s", async (_label, version) => {
    await compare([
      { command: "GC", stdin: conf(version, { "cni.dev/valid-attachments": [] }) },
      { command: "STATUS", stdin: conf(version) },
      { command: "ADD", stdin: conf(version) },
      { command: "GC", stdin: conf(version, { "cni.dev/valid-attachments": [{ containerID: "other", ifname: "eth0" }] }) },
      { command: "STATUS", stdin: conf(version) },
    ]);
  });

  test("VERSION", async () => {
    await compare([{ command: "VERSION", stdin: "" }, { command: "VERSION", stdin: conf("1.1.0") }, { command: "VERSION", stdin: "{x" }]);
  });

  test("prevResult passthrough and family mismatch", async () => {
    const prev031 = { cniVersion: "0.3.1", interfaces: [{ name: "eth0", sandbox: "/x" }], ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }], dns: {} };
    const prev110 = { cniVersion: "1.1.0", interfaces: [{ name: "eth0", sandbox: "/x" }], ips: [{ address: "10.0.0.2/24", interface: 0 }] };
    await compare([
      { command: "ADD", stdin: conf("0.4.0", { prevResult: prev031 }) },
      { command: "ADD", stdin: conf("1.0.0", { prevResult: prev031 }) },
      { command: "ADD", stdin: conf("1.1.0", { prevResult: prev110 }) },
      { command: "ADD", stdin: conf("1.1.0", { prevResult: prev031 }) },
      { command: "ADD", stdin: conf("0.4.0", { prevResult: prev110 }) },
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

  test.each([
    ["GC without CNI_PATH", "GC", { CNI_PATH: undefined }],
    ["STATUS without CNI_PATH", "STATUS", { CNI_PATH: undefined }],
    ["DEL without CNI_NETNS", "DEL", { CNI_NETNS: undefined }],
  ])("%s: same outcome", async (_name, command, env) => {
    await compare([{ command, stdin: conf("1.1.0"), env }]);
  });

  test("only IPv4 when IPv6 is disabled in the namespace", async () => {
    await compare([{ command: "ADD", stdin: conf("1.0.0") }, { command: "ADD", stdin: conf(undefined) }], [
      ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"],
      ["sysctl", "-q", "-w", "net.ipv6.conf.lo.disable_ipv6=1"],
    ]);
  });

  test("a non-loopback address on lo", async () => {
    await compare([{ command: "ADD", stdin: conf("1.0.0") }, { command: "CHECK", stdin: conf("1.0.0") }], [["ip", "addr", "add", "192.0.2.7/32", "dev", "lo"]]);
  });

  test("CHECK with lo set down after ADD", async () => {
    await compare([{ command: "ADD", stdin: conf("1.0.0") }, { run: ["ip", "link", "set", "lo", "down"] }, { command: "CHECK", stdin: conf("0.4.0") }]);
  });

  test("CNI_IFNAME is ignored and CNI_ARGS is not parsed", async () => {
    await compare([{ command: "ADD", stdin: conf("1.0.0"), ifname: "whatever0", args: "none" }]);
  });

  test("prevResult fields: extra keys dropped, 1.x keys round-trip", async () => {
    const prev031 = { cniVersion: "0.3.1", interfaces: [{ name: "eth0", sandbox: "/x", extra: 1 }], ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }], dns: {}, bogus: true };
    const prev110 = {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", mtu: 1400, socketPath: "/s", pciID: "p", sandbox: "/x" }],
      ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1", mtu: 1300, advmss: 1200, priority: 5, table: 0, scope: 0 }],
      dns: { nameservers: ["10.0.0.1"], domain: "d", search: ["s"], options: ["o"] },
    };
    await compare([
      { command: "ADD", stdin: conf("0.4.0", { prevResult: prev031 }) },
      { command: "ADD", stdin: conf("1.1.0", { prevResult: prev110 }) },
      { command: "ADD", stdin: conf("1.0.0", { prevResult: prev110 }) },
    ]);
  });

  test("DEL with an empty, a vanished or a non-netns path", async () => {
    await compare([
      { command: "DEL", stdin: conf("1.0.0"), netns: "" },
      { command: "DEL", stdin: conf("1.0.0"), netns: "/proc/999999999/ns/net" },
      { command: "DEL", stdin: conf("1.0.0"), netns: "/proc" },
      { command: "ADD", stdin: conf("1.0.0"), netns: "/proc" },
      { command: "ADD", stdin: conf("1.0.0"), netns: "/proc/self/status" },
      { command: "ADD", stdin: conf("1.0.0"), netns: "/proc/999999999/ns/net" },
    ]);
  });

  test.each([
    ["trailing garbage", '{"name":"x"} x'],
    ["JSON array", "[]"],
    ["no name", { cniVersion: "1.0.0" }],
    ["name with a slash", { cniVersion: "1.0.0", name: "../etc" }],
    ["cniVersion as a number", { cniVersion: 1, name: "x" }],
  ])("ADD with %s: same outcome", async (_name, stdin) => {
    await compare([{ command: "ADD", stdin }]);
  });

  test.each([
    ["lower-case command", { CNI_COMMAND: "add" }],
    ["missing CNI_NETNS on ADD", { CNI_NETNS: undefined }],
    ["container ID with a slash", { CNI_CONTAINERID: "../../x" }],
    ["ifname with a slash", { CNI_IFNAME: "a/b" }],
    ["ifname ..", { CNI_IFNAME: ".." }],
  ])("env %s: same outcome", async (_name, env) => {
    await compare([{ command: "ADD", stdin: conf("1.0.0"), env }]);
  });

  test("CHECK below 0.4.0 is refused the same way", async () => {
    await compare([{ command: "CHECK", stdin: conf("0.3.1") }]);
  });
});
