/**
 * tscni-chain's own input: a config without a usable `plugins` array, or with a member libcni
 * could not parse, is a CNI error document with a non-zero exit and nothing done in the netns.
 */
import { expect, test } from "bun:test";
import { distDir, NETNS_TIMEOUT, requireIsolatedHost, runCni, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

const call = (stdin: object, netns: string) => runCni(tscni("tscni-chain"), { command: "ADD", containerId: "c1", netns, ifname: "eth0", path: distDir, stdin });

test.each([
  ["no plugins key", { cniVersion: "1.0.0", name: "n", type: "tscni-chain" }, 999, "failed to parse network config: "],
  ["plugins not an array", { cniVersion: "1.0.0", name: "n", type: "tscni-chain", plugins: { type: "loopback" } }, 999, "failed to parse network config: "],
  ["an empty plugins array", { cniVersion: "1.0.0", name: "n", type: "tscni-chain", plugins: [] }, 999, "failed to parse network config: "],
  ["a member without type", { cniVersion: "1.0.0", name: "n", type: "tscni-chain", plugins: [{ type: "loopback" }, { name: "x" }] }, 7, "failed to parse plugin config 1: error parsing configuration: missing 'type'"],
  ["a member's capabilities not booleans", { cniVersion: "1.0.0", name: "n", type: "tscni-chain", plugins: [{ type: "loopback", capabilities: { portMappings: "yes" } }] }, 7, "failed to parse plugin config 0: "],
] as const)(
  "%s: error document, exit 1, lo untouched",
  async (_label, conf, code, msg) => {
    await using ns = await tempNetns();
    const r = await call(conf, ns.path);
    expect(r.code).toBe(1);
    const doc = r.json as { code: number; msg: string };
    expect(doc.code).toBe(code);
    expect(doc.msg.startsWith(msg)).toBe(true);
    const lo = await ns.run(["ip", "-j", "link", "show", "lo"]);
    expect((JSON.parse(lo.stdout) as { flags: string[] }[])[0]?.flags).not.toContain("UP");
  },
  NETNS_TIMEOUT,
);

test(
  "a loopback-only chain brings lo up and answers loopback's own result",
  async () => {
    await using ns = await tempNetns();
    const r = await call({ cniVersion: "1.0.0", name: "n", type: "tscni-chain", plugins: [{ type: "loopback" }] }, ns.path);
    const direct = await runCni(tscni("loopback"), { command: "ADD", containerId: "c1", netns: ns.path, ifname: "eth0", path: distDir, stdin: { cniVersion: "1.0.0", name: "n", type: "loopback" } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(direct.stdout);
  },
  NETNS_TIMEOUT,
);
