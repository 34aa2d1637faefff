/**
 * The TSCNI_PROFILE line: what the bench parses back must be exactly what a call writes.
 */
import { expect, test } from "bun:test";
import { enterDelegate, leaveDelegate, mark, markExecEnd, markExecStart, parseProfileLines, profileLine, startProfile } from "../../../src/profile.ts";

test("one line per call: phases as wall/cpu ms, repeated phases summed, total and peak RSS", async () => {
  startProfile(true);
  mark("imports");
  mark("exec:iptables-restore");
  mark("exec:iptables-restore");
  mark("output");
  const line = profileLine("bridge ADD") ?? "";
  expect(line).toMatch(/^tscni-profile bridge ADD start=\d+\.\d\d\/\d+\.\d\d imports=\S+ exec:iptables-restore=\S+ exec:iptables-restore=\S+ output=\S+ total=\d+\.\d\d\/\d+\.\d\d rss=\d+\.\d\n$/);
  const [rec, ...rest] = parseProfileLines(`noise\n${line}other noise\n`);
  expect(rest).toEqual([]);
  expect(rec?.label).toBe("bridge ADD");
  expect([...(rec?.phases.keys() ?? [])]).toEqual(["start", "imports", "exec:iptables-restore", "output"]);
  const sum = [...(rec?.phases.values() ?? [])].reduce((s, p) => s + p.wall, 0);
  expect(Math.abs(sum - (rec?.total.wall ?? -1))).toBeLessThan(0.05);
  expect(rec?.rssMiB).toBeGreaterThan(0);
});

test("lines of another shape are not read as profiles", () => {
  expect(parseProfileLines("tscni-profile x y total=1.00/1.00\ntscni-profile x y start=1 total=1.00/1.00 rss=3.0\n")).toEqual([]);
});

test("an exec is its own phase, named after the program; the work before it is verb time", async () => {
  startProfile(true);
  markExecStart();
  markExecEnd("/usr/sbin/iptables-restore");
  const [rec] = parseProfileLines(profileLine("portmap DEL") ?? "");
  expect([...(rec?.phases.keys() ?? [])]).toEqual(["start", "verb", "exec:iptables-restore"]);
});

test("nested delegates: each phase is charged to the plugin that ran it, the caller's work around a delegate to the caller", () => {
  startProfile(true);
  mark("load");
  const chain = enterDelegate("bridge");
  mark("load");
  const bridge = enterDelegate("host-local");
  mark("verb");
  leaveDelegate(bridge);
  markExecStart();
  markExecEnd("/usr/sbin/iptables-restore");
  leaveDelegate(chain);
  mark("verb");
  const line = profileLine("tscni-chain ADD") ?? "";
  const names = /^tscni-profile tscni-chain ADD (.*) total=/.exec(line)?.[1]?.split(" ").map((kv) => kv.slice(0, kv.lastIndexOf("=")));
  expect(names).toEqual(["start", "load", "verb", "bridge:load", "bridge:verb", "host-local:verb", "bridge:verb", "bridge:exec:iptables-restore", "verb"]);
});

test("start counts from the runner's spawn when told, else from Bun's clock origin", async () => {
  const startWall = async (spawnedAt?: string): Promise<number> => {
    startProfile(true, spawnedAt);
    return parseProfileLines(profileLine("loopback VERSION") ?? "")[0]?.total.wall ?? Number.NaN;
  };
  const fromOrigin = await startWall(undefined);
  expect(fromOrigin).toBeLessThanOrEqual(performance.now());
  // Bracketed by the clock read before and after: 250 ms more than the time since the origin.
  const before = performance.now();
  const fromSpawn = await startWall(String(performance.timeOrigin - 250));
  const after = performance.now();
  expect(fromSpawn).toBeGreaterThanOrEqual(before + 250 - 1);
  expect(fromSpawn).toBeLessThanOrEqual(after + 250 + 1);
  // A spawn after the origin, long before it, or not a number is not this process's: ignored.
  for (const stale of [String(performance.timeOrigin + 10), String(performance.timeOrigin - 600_000), "x"]) {
    expect(await startWall(stale)).toBeLessThanOrEqual(performance.now());
  }
});

test("peak RSS comes from the caller's synchronous reader when it has one, else it is the current RSS", async () => {
  startProfile(true);
  const [given] = parseProfileLines(profileLine("loopback ADD", () => "Name:\tx\nVmHWM:\t    3072 kB\n") ?? "");
  expect(given?.rssMiB).toBe(3);
  startProfile(true);
  const [fallback] = parseProfileLines(profileLine("loopback ADD", () => undefined) ?? "");
  expect(fallback?.rssMiB).toBeGreaterThan(3);
});
