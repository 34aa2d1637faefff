/**
 * `tscni validate` says what ADD would say, before ADD: each case below was once reported "valid"
 * (exit 0) although every ADD of it fails. The checks are the plugins' own loaders, the bin dir
 * lookup a runtime does, and what only shows across files and conf dirs.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PLUGIN_NAMES, pluginEntry } from "../../../plugins/registry.ts";
import { runCli } from "../../../src/cli/index.ts";
import { repoRoot } from "../../harness.ts";
import { BIN, bridge, hostLocal, list, type Outcome, v191, validateFixture } from "./validate-fixture.ts";

const DEBIAN = "/usr/lib/cni";
const { tmp, confDir, validate, problemsOf } = validateFixture();

describe("validate = what ADD would say (each of these ADDs fails)", () => {
  test.each([
    ["subnet /33", hostLocal({ subnet: "10.2.0.0/33" }), "plugins[0].ipam.ranges[0][0].subnet: invalid CIDR address: 10.2.0.0/33"],
    ["subnet garbage/99", hostLocal({ subnet: "garbage/99" }), "plugins[0].ipam.ranges[0][0].subnet: invalid CIDR address: garbage/99"],
    ["a /31", hostLocal({ subnet: "10.2.0.0/31" }), "plugins[0].ipam.ranges[0]: invalid range set 0: Network 10.2.0.0/31 too small to allocate from"],
    [
      "rangeStart outside the subnet",
      hostLocal({ subnet: "10.2.0.0/24", rangeStart: "10.3.0.5" }),
      "plugins[0].ipam.ranges[0]: invalid range set 0: RangeStart 10.3.0.5 not in network 10.2.0.0/24",
    ],
    ["ipam type host-locl", { type: "host-locl" }, `plugins[0].ipam.type: failed to find plugin "host-locl" in path [${BIN}]`],
  ])("bridge ipam: %s", async (_label, ipam, expected) => {
    expect(await problemsOf(list("v", bridge({}, ipam)))).toContain(expected);
  });

  test.each([
    ["vlan 5000", { vlan: 5000 }, "plugins[0].vlan: invalid VLAN ID 5000 (must be between 0 and 4094)"],
    ["hairpin + promisc", { hairpinMode: true, promiscMode: true }, "plugins[0].hairpinMode: cannot set hairpin mode and promiscuous mode at the same time"],
    ["ipam: []", { ipam: [] }, "plugins[0].ipam: failed to load netconf: json: cannot unmarshal array into Go struct field NetConf.ipam of type types.IPAM"],
    ["routes [{}]", { ipam: { type: "host-local", ranges: [[{ subnet: "10.2.0.0/24" }]], routes: [{}] } }, "plugins[0].ipam.routes[0].dst: invalid CIDR address: <nil>"],
  ])("bridge: %s", async (_label, extra, expected) => {
    expect(await problemsOf(list("v", bridge(extra)))).toContain(expected);
  });

  test("portmap: markMasqBit 40", async () => {
    const got = await problemsOf(list("v", bridge(), { type: "portmap", markMasqBit: 40, capabilities: { portMappings: true } }));
    expect(got).toContain("plugins[1].markMasqBit: MasqMarkBit must be between 0 and 31");
  });

  test("portmap listed first in a conflist", async () => {
    const got = await problemsOf(list("v", { type: "portmap", capabilities: { portMappings: true } }, bridge()));
    expect(got).toContain("plugins[0]: must be called as chained plugin: portmap must come after the plugin that creates the container's interface (bridge, ptp, macvlan, …)");
  });

  test("a bridge name over 15 bytes (the kernel's limit; ADD fails with ERANGE)", async () => {
    // v1.9.1's bridge ADD, run live with bridge "averyveryverylongbridgename" and "abcdefghijklmnop" (16):
    // failed to create bridge "X": could not add "X": numerical result out of range.
    const got = await problemsOf(list("v", bridge({ bridge: "abcdefghijklmnop", isGateway: true })));
    expect(got).toContain(
      'plugins[0].bridge: failed to create bridge "abcdefghijklmnop": could not add "abcdefghijklmnop": numerical result out of range (an interface name is at most 15 bytes; this one is 16)',
    );
    const fifteen = await validate({ confDirs: [confDir({ "10-ok.conflist": list("ok", bridge({ bridge: "abcdefghijklmno", isGateway: true })) })] });
    expect(fifteen.json.files[0]?.problems).toEqual([]);
  });

  test("plugin type bridg", async () => {
    expect(await problemsOf(list("v", bridge({ type: "bridg" })))).toContain(`plugins[0].type: failed to find plugin "bridg" in path [${BIN}]`);
  });

  test("every problem of a file is reported, not the first", async () => {
    const got = await problemsOf(
      list("v", bridge({ vlan: 5000, hairpinMode: true, promiscMode: true }, hostLocal({ subnet: "garbage/99" })), { type: "portmap", markMasqBit: 40 }),
    );
    expect(got.length).toBeGreaterThanOrEqual(4);
  });

  test("a decode error in the bridge's keys does not hide the IPAM section's: both, with paths and v1.9.1's texts", async () => {
    const stdin = (plugin: object) => JSON.stringify({ cniVersion: "1.0.0", name: "v", ...plugin });
    const ipam = { type: "host-local", dataDir: join(tmp.path, "v191-data"), ranges: [[{ subnet: "10.0.0.0/33" }]] };
    // Each text from the live v1.9.1 plugin that reports it: both fail while loading their config,
    // before touching any netns or dataDir (bridge's decode; host-local's own ADD for the range).
    const mtuText = v191("bridge", stdin({ type: "bridge", bridge: "br-v", mtu: "big" }));
    const subnetText = v191("host-local", stdin({ type: "bridge", bridge: "br-v", ipam }));
    expect(mtuText).toContain("mtu");
    expect(subnetText).toContain("10.0.0.0/33");
    const got = await problemsOf(list("v", bridge({ mtu: "big", isGateway: true }, ipam)));
    expect(got).toEqual([`plugins[0].mtu: ${mtuText}`, `plugins[0].ipam.ranges[0][0].subnet: ${subnetText}`]);
  });

  test("a good conflist is valid (exit 0)", async () => {
    const r = await validate({ confDirs: [confDir({ "10-ok.conflist": list("ok", bridge({ isGateway: true }), { type: "portmap", capabilities: { portMappings: true } }) })] });
    expect(r.text).toContain("valid");
    expect(r.json.files[0]?.problems).toEqual([]);
    expect(r.code).toBe(0);
  });
});

describe("validate across files and conf dirs", () => {
  const gw = (name: string, subnet: string, extra: object = {}) =>
    list(name, bridge({ bridge: "cni0", isGateway: true, ...extra }, { type: "host-local", ranges: [[{ subnet }]] }));

  test("two networks on cni0 with different subnets", async () => {
    const r = await validate({ confDirs: [confDir({ "10-a.conflist": gw("a", "10.88.0.0/16"), "20-b.conflist": gw("b", "10.89.0.0/16") })] });
    expect(r.code).toBe(1);
    expect(r.json.crossFile.map((f) => f.id)).toContain("bridge-conflict");
    expect(r.text).toContain("different subnets 10.88.0.0/16 and 10.89.0.0/16");
  });

  test("two networks on one bridge without gateways: a warning only", async () => {
    const l2ish = (name: string, subnet: string) => list(name, bridge({ bridge: "cni0" }, { type: "host-local", ranges: [[{ subnet }]] }));
    const r = await validate({ confDirs: [confDir({ "10-a.conflist": l2ish("a", "10.88.0.0/16"), "20-b.conflist": l2ish("b", "10.89.0.0/16") })] });
    expect(r.json.crossFile.map((f) => [f.id, f.level])).toEqual([["bridge-conflict", "warning"]]);
    expect(r.code).toBe(0);
  });

  test("ranges overlapping another network's", async () => {
    const r = await validate({
      confDirs: [confDir({ "10-a.conflist": gw("a", "10.88.0.0/16", { bridge: "br-a" }), "20-b.conflist": gw("b", "10.88.4.0/24", { bridge: "br-b" }) })],
    });
    expect(r.code).toBe(1);
    expect(r.json.crossFile.map((f) => f.id)).toEqual(["overlapping-ranges"]);
  });

  test("the same network name twice in one dir: the first file by name is used", async () => {
    const r = await validate({ confDirs: [confDir({ "10-a.conflist": gw("same", "10.88.0.0/16"), "20-b.conflist": gw("same", "10.88.0.0/16") })] });
    expect(r.json.crossFile.map((f) => f.id)).toEqual(["duplicate-name"]);
    expect(r.text).toContain("runtimes use 10-a.conflist");
    // Reported once: the shadowed file's own line does not say it again.
    expect(r.text.split("defined 2 times").length - 1).toBe(1);
    expect(r.text).not.toContain("ignored:");
  });

  test("the same network name in two runtimes' conf dirs (their GCs free each other's addresses)", async () => {
    const podman = confDir({ "87-podman.conflist": gw("podman", "10.88.0.0/16") });
    const containerd = confDir({ "10-containerd.conflist": gw("podman", "10.88.0.0/16") });
    const r = await validate({ confDirs: [podman, containerd] });
    expect(r.code).toBe(1);
    expect(r.json.crossFile.map((f) => f.id)).toContain("name-in-several-conf-dirs");
    expect(r.text).toContain("GC");
  });

  test("containerd and CRI-O take the first file by name", async () => {
    const r = await validate({ confDirs: [confDir({ "20-b.conflist": gw("b", "10.89.0.0/16", { bridge: "b" }), "10-a.conf": { cniVersion: "1.0.0", name: "a", type: "loopback" } })] });
    expect(r.text).toMatch(/containerd, CRI-O.*"a".*10-a\.conf/);
  });
});

describe("conf dirs and files", () => {
  test("a missing conf dir is an error (exit 1, ok:false)", async () => {
    const r = await validate({ confDirs: ["/nonexistent"] });
    expect(r.code).toBe(1);
    expect(r.json.errors.join()).toContain("/nonexistent");
    expect(r.text).not.toMatch(/^valid$/m);
  });

  test("an empty conf dir is an error", async () => {
    const r = await validate({ confDirs: [confDir({})] });
    expect(r.code).toBe(1);
    expect(r.json.errors.join()).toContain("no network configuration");
  });

  test("files given as arguments", async () => {
    const dir = confDir({ "x.conflist": list("v", bridge({ vlan: 5000 })) });
    const r = await validate({ files: [join(dir, "x.conflist")] });
    expect(r.code).toBe(1);
    expect(r.json.files[0]?.problems.map((p) => p.path)).toContain("plugins[0].vlan");
  });
});

describe("foreign plugins are asked VERSION", () => {
  const tuning = join(DEBIAN, "tuning");
  test.skipIf(!existsSync(tuning))("Debian v1.1.1 tuning under a 1.1.0 conflist", async () => {
    const conf = { cniVersion: "1.1.0", name: "t", plugins: [{ type: "loopback" }, { type: "tuning" }] };
    const r = await validate({ confDirs: [confDir({ "10-t.conflist": conf })], binDir: `${BIN}:${DEBIAN}` });
    expect(r.code).toBe(1);
    const msgs = r.json.files.flatMap((f) => f.problems.map((p) => `${p.path}: ${p.message}`));
    expect(msgs.find((m) => m.startsWith("plugins[1].type: ") && m.includes("not this network's cniVersion 1.1.0"))).toBeDefined();
    const ok = await validate({ confDirs: [confDir({ "10-t.conflist": { ...conf, cniVersion: "1.0.0" } })], binDir: `${BIN}:${DEBIAN}` });
    expect(ok.code).toBe(0);
  });
});

describe("the config corpus", () => {
  const corpus = join(repoRoot, "test/fixtures/configs");
  test("the good corpus passes every loader", async () => {
    const r = await validate({ confDirs: [join(corpus, "good")] });
    expect(r.json.files.flatMap((f) => f.problems)).toEqual([]);
  });

  test("every broken file is reported, schema errors with the JSON path and Go's text", async () => {
    const r = await validate({ confDirs: [join(corpus, "broken")] });
    expect(r.code).toBe(1);
    const byFile = Object.fromEntries(r.json.files.map((f) => [f.file.split("/").at(-1), f.problems]));
    for (const broken of ["no-type.conflist", "no-plugins.conflist", "not-json.conflist", "caps-not-bool.conflist"]) {
      expect(byFile[broken]?.length, broken).toBeGreaterThan(0);
    }
    expect(byFile["bad-version.conflist"]?.[0]?.path).toBe("cniVersion");
    expect(byFile["bad-name.conflist"]?.[0]?.path).toBe("name");
    expect(byFile["mtu-string.conflist"]).toContainEqual({
      path: "plugins[0].mtu",
      message: "failed to load netconf: json: cannot unmarshal string into Go struct field NetConf.mtu of type int",
    });
  });
});

describe("the command line", () => {
  const run = async (argv: string[]): Promise<{ code: number; out: string }> => {
    let out = "";
    const io = { env: {}, out: (t: string) => void (out += t), err: (t: string) => void (out += t), stdoutIsTty: false, stderrIsTty: false };
    const code = await runCli(argv, { pluginNames: PLUGIN_NAMES, runPlugin: async () => 0, registry: pluginEntry }, io);
    return { code, out };
  };

  test("validate --help says files can be given as arguments", async () => {
    const { out } = await run(["validate", "--help"]);
    expect(out).toContain("[FILES]");
    expect(out).toContain("config files to check");
    expect(out).toContain("--bin-dir");
  });

  test("--conf-dir repeated: one dir per runtime, and --bin-dir", async () => {
    const net = list("shared", bridge({ bridge: "cni0" }));
    const a = confDir({ "10-a.conflist": net });
    const b = confDir({ "10-b.conflist": net });
    const { code, out } = await run(["validate", "--conf-dir", a, "--conf-dir", b, "--bin-dir", BIN, "--json"]);
    expect(code).toBe(1);
    const doc = JSON.parse(out) as Outcome["json"];
    expect(doc.ok).toBe(false);
    expect(doc.crossFile.map((f) => f.id)).toEqual(["name-in-several-conf-dirs"]);
    expect((await run(["validate", "--conf-dir", a, "--bin-dir", BIN])).code).toBe(0);
  });
});

