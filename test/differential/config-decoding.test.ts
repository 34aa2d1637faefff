/**
 * Config decoding against the live v1.9.1 oracle: wrong JSON types, nesting depth and semantic
 * errors must give the same exit status, error code and message as the Go plugins, and must leave
 * the kernel and the dataDir exactly as they were (the config is refused before anything happens).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { exec, repoRoot, requireIsolatedHost, runCni, tempDir, tempNetns, type TempNetns, tscni } from "../harness.ts";
import { countCase } from "./oracles.ts";

requireIsolatedHost();

const V191 = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");
const TIMEOUT = 60_000;
const data = tempDir("tscni-decoding-");
afterAll(() => data[Symbol.dispose]());

interface Outcome {
  exit: number;
  code: unknown;
  msg: unknown;
}

/** Links, addresses and rules of a netns, and every file under the test's dataDir. */
async function state(ns: TempNetns): Promise<string> {
  const parts = await Promise.all([
    exec(["ip", "-o", "link"]),
    exec(["ip", "-o", "addr"]),
    exec(["iptables-save"]),
    exec(["nft", "list", "ruleset"]),
    ns.run(["ip", "-o", "link"]),
  ]);
  const files = readdirSync(data.path, { recursive: true, encoding: "utf8" }).sort();
  return [...parts.map((p) => p.stdout.replace(/\s+\d+ bytes|counter packets \d+ bytes \d+/g, "")), files.join(",")].join("\n--\n");
}

/** Sends the same config to v1.9.1 and to tscni; `dataDir` markers point into the test's dir. */
async function both(plugin: string, command: string, stdin: string): Promise<{ ref: Outcome; ours: Outcome }> {
  await using ns = await tempNetns();
  const before = await state(ns);
  const call = async (binary: string, dir: string): Promise<Outcome> => {
    const r = await runCni(binary, {
      command,
      containerId: "decode1",
      netns: ns.path,
      ifname: "eth0",
      path: dir,
      stdin: stdin.replaceAll("@DATA@", data.path),
    });
    const j = (r.json ?? {}) as { code?: unknown; msg?: unknown };
    return { exit: r.code, code: j.code, msg: typeof j.msg === "string" ? j.msg.replaceAll(dir, "@BIN@") : j.msg };
  };
  const ref = await call(join(V191, plugin), V191);
  const ours = await call(tscni(plugin), join(repoRoot, "dist"));
  expect(await state(ns)).toBe(before);
  countCase(plugin, command);
  return { ref, ours };
}

const base = (type: string, extra: string): string => `{"cniVersion":"1.0.0","name":"decode","type":"${type}"${extra}}`;
const nested = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("JSON nesting depth, as v1.9.1", () => {
  test.each([
    ["9,999 levels below the config", 9999],
    ["10,000 levels in all", 10000],
    ["100,000 levels", 100_000],
  ])("%s", async (_label, depth) => {
    const { ref, ours } = await both("loopback", "DEL", base("loopback", `,"x":${nested(depth)}`));
    expect(ours).toEqual(ref);
  }, TIMEOUT);
});
