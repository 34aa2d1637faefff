/**
 * host-local vs the v1.9.1 oracle: the same sequence of ADD/DEL/CHECK/GC/STATUS against each, each
 * with its own fresh dataDir; stdout byte for byte (errors: normalisers 10/11 only), stderr, exit
 * code and the directory contents (bytes and file modes) after every step. Every spec version,
 * route extras, GC with valid attachments (also legacy bare-id files), STATUS on a full range.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NETNS_TIMEOUT, requireIsolatedHost, tempDir } from "../harness.ts";
import { call, snapshot, type Step, TSCNI_HOST_LOCAL } from "../fixtures/host-local/support.ts";
import { errorMismatch, type ErrorJson, normalisedError } from "./normalize.ts";
import { countCase, v191 } from "./oracles.ts";

requireIsolatedHost();

interface HlStep extends Step {
  /** GC: the `cni.dev/valid-attachments` list sent with it. */
  valid?: { containerID: string; ifname: string }[];
}

interface Scenario {
  name: string;
  conf: Record<string, unknown>;
  steps: HlStep[];
  /** Files written into `<dataDir>/<net>/` before the first step. */
  prep?: Record<string, string>;
}

// /run is a private tmpfs inside the runner's sandbox (test/isolated-entry.ts).
const RESOLV = "/run/tscni/hl-resolv.conf";
writeFileSync(
  RESOLV,
  "# generated\n; comment\nnameserver 10.0.0.53 extra\nnameserver 2001:db8::53\ndomain a.example\ndomain b.example\n" +
    "search x.example y.example\nsearch z.example\noptions ndots:2\noptions edns0 rotate\nnameserver\nsortlist 10.0.0.0/8\n",
);

const net = (ipam: Record<string, unknown>, version = "1.0.0", extra: Record<string, unknown> = {}) => ({
  cniVersion: version,
  name: "mynet",
  ipam: { type: "host-local", ...ipam },
  ...extra,
});
const ranges = (...sets: (string | Record<string, unknown>)[][]) => ({
  ranges: sets.map((s) => s.map((r) => (typeof r === "string" ? { subnet: r } : r))),
});
const add = (id: string, more: Partial<Step> = {}): HlStep => ({ cmd: "ADD", id, ...more });
const del = (id: string, more: Partial<Step> = {}): HlStep => ({ cmd: "DEL", id, ...more });
const check = (id: string, more: Partial<Step> = {}): HlStep => ({ cmd: "CHECK", id, ...more });
const gc = (...valid: [string, string][]): HlStep => ({ cmd: "GC", valid: valid.map(([containerID, ifname]) => ({ containerID, ifname })) });
const status: HlStep = { cmd: "STATUS" };
const extras = [
  { dst: "0.0.0.0/0", gw: "10.1.2.1", mtu: 1400, advmss: 1360, priority: 10, table: 0, scope: 0 },
  { dst: "192.168.0.0/16", mtu: 0, advmss: 0, priority: 0 },
  { dst: "10.9.0.0/16", table: 100, scope: 253 },
];

const scenarios: Scenario[] = [
  { name: "single /24: round robin after DEL, CHECK", conf: net(ranges(["10.1.2.0/24"])), steps: [add("a"), add("b"), del("a"), add("c"), check("a"), check("b"), del("b"), del("b")] },
  { name: "rangeStart/rangeEnd honoured and exhausted", conf: net(ranges([{ subnet: "10.1.2.0/24", rangeStart: "10.1.2.100", rangeEnd: "10.1.2.102" }])), steps: [add("a"), add("b"), add("c"), add("d"), del("b"), add("d")] },
  { name: "several subnets in one set", conf: net(ranges(["10.0.0.0/30", "10.0.1.0/30"])), steps: [add("a"), add("b"), add("c"), del("a"), add("c")] },
  { name: "dual stack sets", conf: net(ranges(["10.1.2.0/24", "10.2.2.0/24"], ["2001:db8:1::/64"])), steps: [add("dummy"), add("b"), del("dummy"), check("b")] },
  { name: "legacy flat form", conf: net({ subnet: "10.5.0.0/16", rangeStart: "10.5.1.1", rangeEnd: "10.5.1.3", gateway: "10.5.0.1" }), steps: [add("a"), add("b"), add("c"), add("d")] },
  { name: "ordering: runtime ipRanges, legacy, ranges", conf: net({ subnet: "10.0.0.0/24", ...ranges(["10.2.0.0/24"], ["2001:db8::/64"]) }, "1.0.0", { runtimeConfig: { ipRanges: [[{ subnet: "10.9.0.0/24" }]] } }), steps: [add("a"), add("b", { ifname: "net1" })] },
  { name: "/31 refused", conf: net(ranges(["10.0.0.0/31"])), steps: [add("a"), del("a")] },
  { name: "/32 refused", conf: net(ranges(["10.0.0.7/32"])), steps: [add("a")] },
  { name: "/127 refused", conf: net(ranges(["2001:db8::/127"])), steps: [add("a")] },
  { name: "/128 refused", conf: net(ranges(["2001:db8::1/128"])), steps: [add("a"), check("a")] },
  { name: "/30 exhaustion and wrap", conf: net(ranges(["10.0.0.0/30"])), steps: [add("a"), add("b"), del("a"), add("b"), add("c")] },
  { name: "/29 wrap-around", conf: net(ranges(["10.0.0.0/29"])), steps: [add("a"), add("b"), add("c"), add("d"), add("e"), add("f"), del("b"), del("d"), add("g"), add("h")] },
  { name: "requested via CNI_ARGS, then taken", conf: net(ranges(["10.1.2.0/24"])), steps: [add("a", { args: "IP=10.1.2.10" }), add("b", { args: "IP=10.1.2.10" }), add("c", { args: "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.1.2.11/24" }), add("d")] },
  { name: "requested via args.cni.ips", conf: net(ranges(["10.1.2.0/24"], ["2001:db8:1::/64"]), "1.0.0", { args: { cni: { ips: ["10.1.2.88", "2001:db8:1::999"] } } }), steps: [add("a"), del("a"), add("b"), add("c")] },
  { name: "CNI_ARGS and args.cni.ips combined", conf: net(ranges(["10.1.2.0/24"], ["2001:db8:1::/64"]), "1.0.0", { args: { cni: { ips: ["2001:db8:1::999"] } } }), steps: [add("a", { args: "IP=10.1.2.89" }), del("a"), add("b", { args: "IgnoreUnknown=true;IP=10.1.2.90/16" })] },
  { name: "requested via runtimeConfig.ips with prefixes", conf: net(ranges(["10.1.2.0/24"]), "1.0.0", { runtimeConfig: { ips: ["10.1.2.50/24"] } }), steps: [add("a"), add("b")] },
  { name: "requested outside every set / two in one set", conf: net(ranges(["10.1.2.0/24"])), steps: [add("a", { args: "IP=10.9.9.9" }), { cmd: "ADD", id: "b", args: "IP=10.1.2.77" }] },
  { name: "requested gateway", conf: net(ranges(["10.1.2.0/24"])), steps: [add("a", { args: "IP=10.1.2.1" }), add("b", { args: "IP=10.1.2.255" })] },
  { name: "routes with and without gw", conf: net({ ...ranges(["10.1.2.0/24"], ["2001:db8::/64"]), routes: [{ dst: "0.0.0.0/0" }, { dst: "192.168.0.0/16", gw: "10.1.2.254" }, { dst: "::/0", gw: "2001:db8::fe" }, { dst: "10.1.2.3/8" }] }), steps: [add("a")] },
  { name: "resolvConf", conf: net({ ...ranges(["10.1.2.0/24"]), resolvConf: RESOLV }), steps: [add("a")] },
  { name: "resolvConf missing", conf: net({ ...ranges(["10.1.2.0/24"]), resolvConf: "/nonexistent/resolv.conf" }), steps: [add("a"), del("a")] },
  { name: "0.4.0 and 0.3.1 output", conf: net({ ...ranges(["10.1.2.0/24"], ["2001:db8::/64"]), routes: [{ dst: "0.0.0.0/0" }, { dst: "192.168.0.0/16", gw: "10.1.2.254" }] }, "0.4.0"), steps: [add("a"), check("a"), check("zz")] },
  { name: "0.3.1 output", conf: net({ ...ranges(["10.1.2.0/24"]), resolvConf: RESOLV }, "0.3.1"), steps: [add("a")] },
  { name: "0.2.0 dual stack with per-family routes", conf: net({ ...ranges(["10.1.2.0/24"], ["2001:db8::/64"]), routes: [{ dst: "0.0.0.0/0", gw: "10.1.2.1" }, { dst: "::/0" }] }, "0.2.0"), steps: [add("a")] },
  { name: "0.2.0 two v4 sets refused", conf: net(ranges(["10.1.2.0/24"], ["10.2.2.0/24"]), "0.2.0"), steps: [add("a"), del("a")] },
  { name: "0.3.0 two v4 sets fine", conf: net(ranges(["10.1.2.0/24"], ["10.2.2.0/24"]), "0.3.0"), steps: [add("a")] },
  { name: "no cniVersion (0.1.0 output)", conf: { name: "mynet", ipam: { ...ranges(["10.1.2.0/24"]), routes: [{ dst: "0.0.0.0/0" }] } }, steps: [add("a")] },
  { name: "custom gateway .6: .1 handed out first", conf: net(ranges([{ subnet: "10.0.0.0/29", gateway: "10.0.0.6" }])), steps: [add("a"), add("b"), add("c"), add("d"), add("e"), add("f")] },
  { name: "hand-written last_reserved_ip in a multi-range set", conf: net(ranges(["10.0.0.0/30", "10.0.1.0/30"])), prep: { "last_reserved_ip.0": "10.0.0.2" }, steps: [add("a"), add("b")] },
  { name: "last_reserved_ip outside the set", conf: net(ranges(["10.0.0.0/29"])), prep: { "last_reserved_ip.0": "10.0.0.128" }, steps: [add("a")] },
  { name: "last_reserved_ip with a newline is ignored", conf: net(ranges(["10.0.0.0/29"])), prep: { "last_reserved_ip.0": "10.0.0.4\n" }, steps: [add("a")] },
  // Go reads a file's bytes as they are: a leading UTF-8 BOM is part of the text, so it is neither
  // an address nor an owner's ID (a default TextDecoder drops it).
  { name: "last_reserved_ip with a leading BOM is ignored", conf: net(ranges(["10.0.0.0/29"])), prep: { "last_reserved_ip.0": "\uFEFF10.0.0.4" }, steps: [add("a")] },
  { name: "a reservation file with a leading BOM is nobody's", conf: net(ranges(["10.1.2.0/24"])), prep: { "10.1.2.50": "\uFEFFold\r\neth0", "10.1.2.51": "\uFEFFold" }, steps: [check("old"), add("old"), del("old"), check("old")] },
  { name: "duplicate ADD refused; other ifname gets a new IP", conf: net(ranges(["10.1.2.0/24"])), steps: [add("a"), add("a"), add("b"), add("a"), add("a", { ifname: "net1" }), del("a"), check("a", { ifname: "net1" })] },
  { name: "legacy bare-id files: DEL, CHECK, duplicate", conf: net(ranges(["10.1.2.0/24"])), prep: { "10.1.2.50": "old", "10.1.2.51": "other\r\neth0", "10.1.2.52": "  old \n" }, steps: [check("old"), add("old"), del("old"), check("old"), check("other")] },
  // The duplicate check names the first held address in the reference's walk order (lexical per
  // directory, into subdirectories): "0/…" before "10.…", "10.1.2.10" before "10.1.2.9".
  { name: "duplicate check names the first held file walked", conf: net(ranges(["10.1.2.0/24"])), prep: { "10.1.2.9": "a\r\neth0", "10.1.2.10": "a\r\neth0" }, steps: [add("a"), del("a"), check("a")] },
  { name: "duplicate check walks into a subdirectory first", conf: net(ranges(["10.1.2.0/24"])), prep: { "10.1.2.8": "a\r\neth0", "0/10.1.2.7": "a\r\neth0" }, steps: [add("a"), del("a"), add("a")] },
  { name: "case-insensitive keys", conf: { CNIVERSION: "1.0.0", Name: "mynet", IPAM: { DataDir: "@DATADIR@", Ranges: [[{ Subnet: "10.1.2.0/24", RangeStart: "10.1.2.20" }]], Routes: [{ Dst: "0.0.0.0/0", GW: "10.1.2.1" }] } }, steps: [add("a")] },
  { name: "IPv6 wrap from the end of a /64", conf: net(ranges([{ subnet: "2001:db8:1::/64", rangeStart: "2001:db8:1::ffff:ffff:ffff:fffe" }])), steps: [add("a"), add("b"), add("c")] },
  { name: "1.1.0 dual stack: ADD, CHECK, STATUS, DEL", conf: net({ ...ranges(["10.1.2.0/24"], ["2001:db8:1::/64"]), routes: [{ dst: "0.0.0.0/0" }] }, "1.1.0"), steps: [add("a"), check("a"), status, del("a"), check("a"), del("a")] },
  { name: "route extras at 1.1.0", conf: net({ ...ranges(["10.1.2.0/24"]), routes: extras }, "1.1.0"), steps: [add("a")] },
  { name: "route extras at 1.0.0", conf: net({ ...ranges(["10.1.2.0/24"]), routes: extras }, "1.0.0"), steps: [add("a")] },
  { name: "route extras at 0.4.0", conf: net({ ...ranges(["10.1.2.0/24"]), routes: extras }, "0.4.0"), steps: [add("a")] },
  { name: "route extras at 0.2.0", conf: net({ ...ranges(["10.1.2.0/24"]), routes: extras }, "0.2.0"), steps: [add("a")] },
  { name: "GC and STATUS below 1.1.0 are refused", conf: net(ranges(["10.1.2.0/24"]), "1.0.0"), steps: [add("a"), gc(), status] },
  { name: "GC and STATUS with no cniVersion", conf: { name: "mynet", ipam: ranges(["10.1.2.0/24"]) }, steps: [gc(), status] },
  { name: "STATUS on a full range answers success; ADD fails", conf: net(ranges([{ subnet: "10.1.2.0/30" }]), "1.1.0"), steps: [status, add("a"), add("b"), status, add("c"), status, del("a"), status] },
  { name: "STATUS with a broken config", conf: net(ranges(["10.1.2.0/31"]), "1.1.0"), steps: [status] },
  { name: "IPv4-mapped addresses", conf: net(ranges([{ subnet: "10.0.0.0/24", rangeStart: "::ffff:10.0.0.50", gateway: "::ffff:10.0.0.1" }])), steps: [add("a", { args: "IP=::ffff:10.0.0.60" }), add("b")] },
];

async function runBoth(s: Scenario): Promise<void> {
  using refDir = tempDir("hl-ref-");
  using ourDir = tempDir("hl-ts-");
  if (s.prep !== undefined) {
    for (const d of [refDir.path, ourDir.path]) {
      mkdirSync(join(d, "mynet"), { recursive: true });
      for (const [f, c] of Object.entries(s.prep)) {
        mkdirSync(dirname(join(d, "mynet", f)), { recursive: true });
        writeFileSync(join(d, "mynet", f), c, { mode: 0o600 });
      }
    }
  }
  for (const [i, step] of s.steps.entries()) {
    const label = `${s.name}: step ${i} ${step.cmd} ${step.id ?? ""}${step.args ? ` (${step.args})` : ""}`;
    const conf = step.valid === undefined ? s.conf : { ...s.conf, "cni.dev/valid-attachments": step.valid };
    const ref = await call(v191("host-local"), conf, refDir.path, step);
    const ours = await call(TSCNI_HOST_LOCAL, conf, ourDir.path, step);
    expect({ label, code: ours.code, stderr: ours.stderr }).toEqual({ label, code: ref.code, stderr: ref.stderr });
    const refErr = ref.json as ErrorJson | undefined;
    if (ref.code !== 0 && refErr !== undefined && normalisedError(refErr)) {
      expect({ label, mismatch: errorMismatch(refErr, ours.json as ErrorJson) }).toEqual({ label, mismatch: "" });
    } else expect({ label, stdout: ours.stdout }).toEqual({ label, stdout: ref.stdout });
    expect({ label, state: snapshot(ourDir.path) }).toEqual({ label, state: snapshot(refDir.path) });
    countCase("host-local", step.cmd);
  }
}

describe("host-local vs v1.9.1", () => {
  test("has at least 25 configurations", () => expect(scenarios.length).toBeGreaterThanOrEqual(25));
  for (const s of scenarios) test(s.name, () => runBoth(s), NETNS_TIMEOUT);
});

/**
 * GC is where tscni deliberately differs (docs/compatibility.md): v1.9.1's host-local GC frees
 * nothing, tscni's releases every reservation no listed attachment owns. The call itself (code,
 * stdout, stderr) is compared live; what tscni frees is hand-written because the oracle frees
 * nothing, and the oracle's untouched directory is asserted so this notices if v1.9.1 changes.
 */
describe("GC (deliberate difference: v1.9.1 frees nothing)", () => {
  const reservations = (dir: string): string[] =>
    Object.keys(snapshot(dir)).filter((k) => /^mynet\/[0-9a-f:.]+$/.test(k)).map((k) => k.slice("mynet/".length));

  test.each([
    ["listed attachments are kept", net(ranges(["10.1.2.0/24"], ["2001:db8:1::/64"]), "1.1.0"), {}, [add("a"), add("b"), add("b", { ifname: "net1" }), add("c")], gc(["a", "eth0"], ["b", "net1"], ["zz", "eth0"]), ["10.1.2.2", "10.1.2.4", "2001:db8:1::2", "2001:db8:1::4"]],
    ["an empty list frees everything", net(ranges(["10.1.2.0/24"]), "1.1.0"), {}, [add("a"), add("b")], gc(), []],
    ["legacy bare-id files: kept when the ID is listed", net(ranges(["10.1.2.0/24"]), "1.1.0"), { "10.1.2.50": "old", "10.1.2.51": "gone", "10.1.2.52": "keep\r\nnet1" }, [], gc(["old", "eth9"], ["keep", "eth0"]), ["10.1.2.50"]],
  ] as const)("%s", async (_name, conf, prep, before, gcStep, tscniKeeps) => {
    await runBoth({ name: _name, conf, prep, steps: [...before] });
    using refDir = tempDir("hl-ref-");
    using ourDir = tempDir("hl-ts-");
    for (const d of [refDir.path, ourDir.path]) {
      mkdirSync(join(d, "mynet"), { recursive: true });
      for (const [f, c] of Object.entries(prep)) writeFileSync(join(d, "mynet", f), c, { mode: 0o600 });
      for (const step of before) expect((await call(d === refDir.path ? v191("host-local") : TSCNI_HOST_LOCAL, conf, d, step)).code).toBe(0);
    }
    const refBefore = reservations(refDir.path);
    const withValid = { ...conf, "cni.dev/valid-attachments": gcStep.valid };
    const ref = await call(v191("host-local"), withValid, refDir.path, gcStep);
    const ours = await call(TSCNI_HOST_LOCAL, withValid, ourDir.path, gcStep);
    expect({ code: ours.code, stdout: ours.stdout, stderr: ours.stderr }).toEqual({ code: ref.code, stdout: ref.stdout, stderr: ref.stderr });
    countCase("host-local", "GC");
    expect(reservations(refDir.path)).toEqual(refBefore);
    expect(reservations(ourDir.path)).toEqual([...tscniKeeps]);
  }, NETNS_TIMEOUT);
});
