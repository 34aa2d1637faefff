/**
 * bridge vs v1.9 golden fixtures (test/fixtures/v1.9/bridge.json): what Debian's v1.1.1 oracle
 * cannot show — spec 1.1.0 output bytes, STATUS and GC, v1.9-only keys (disableContainerInterface,
 * vlanTrunk, portIsolation) and their errors. Each fixture names the checklist section it encodes.
 */
import { describe, expect, test } from "bun:test";
import fixtures from "../fixtures/v1.9/bridge.json" with { type: "json" };
import { requireIsolatedHost } from "../harness.ts";
import { bridgeCall, type Conf, TS, world, worldState } from "../fixtures/bridge/support.ts";
import { BridgeNames } from "./normalize.ts";

requireIsolatedHost();

const TIMEOUT = 60_000;
const DATA = "/run/tscni-bridge-golden";
const base = (extra: Record<string, unknown>, version = "1.1.0"): Conf => ({ cniVersion: version, name: "goldnet", type: "bridge", bridge: "brg", ...extra });

describe("ADD output at 1.1.0 (§1.8, §2.1.2)", () => {
  test("exact bytes", async () => {
    await using w = await world(1);
    const ctr = w.containers[0];
    const f = fixtures["add-1.1.0"];
    const r = await bridgeCall(TS, w.host, { command: "ADD", netns: ctr?.path ?? "", stdin: f.stdin });
    expect(r.code).toBe(0);
    const link = async (argv: string[], inCtr: boolean) => {
      const out = inCtr ? await ctr?.run(["ip", "-j", "link", "show", ...argv]) : await w.host.run(["ip", "-j", "link", "show", ...argv]);
      return JSON.parse(out?.stdout || "[]") as { ifname: string; address: string }[];
    };
    const veth = (await link(["type", "veth"], false))[0];
    const expected = f.stdout
      .replace("@BRMAC@", (await link(["cni0"], false))[0]?.address ?? "?")
      .replace("@VETH@", veth?.ifname ?? "?")
      .replace("@VETHMAC@", veth?.address ?? "?")
      .replace("@CMAC@", (await link(["eth0"], true))[0]?.address ?? "?")
      .replace("@NETNS@", ctr?.path ?? "?");
    expect(r.stdout).toBe(expected);
  }, TIMEOUT);
});

describe("v1.9-only keys: errors before any change (§2.1.1, §3.2)", () => {
  test.each(fixtures["errors-before-any-change"].map((e) => [e.msg, e.conf] as const))("%s", async (msg, conf) => {
    await using w = await world(1);
    const before = await worldState(w, new BridgeNames(), false, DATA);
    const r = await bridgeCall(TS, w.host, { command: "ADD", netns: w.containers[0]?.path ?? "", stdin: base(conf as Record<string, unknown>) });
    expect({ exit: r.code, json: r.json }).toMatchObject({ exit: 1, json: { code: 999, msg } });
    expect(await worldState(w, new BridgeNames(), false, DATA)).toEqual(before);
  }, TIMEOUT);
});

describe("v1.9-only keys: kernel state", () => {
  test("disableContainerInterface (L2): container end stays down (§3.2)", async () => {
    await using w = await world(1);
    const ctr = w.containers[0];
    const r = await bridgeCall(TS, w.host, { command: "ADD", netns: ctr?.path ?? "", stdin: base({ disableContainerInterface: true }) });
    expect(r.code).toBe(0);
    const links = JSON.parse((await ctr?.run(["ip", "-j", "link", "show", "eth0"]))?.stdout || "[]") as { flags: string[] }[];
    expect(links[0]?.flags).not.toContain("UP");
  }, TIMEOUT);

  test.each([true, false])("portIsolation %p: the host port's isolated flag (§3.2)", async (on) => {
    await using w = await world(1);
    const r = await bridgeCall(TS, w.host, { command: "ADD", netns: w.containers[0]?.path ?? "", stdin: base({ portIsolation: on }) });
    expect(r.code).toBe(0);
    const port = JSON.parse((await w.host.run(["ip", "-j", "-d", "link", "show", "type", "veth"])).stdout) as { linkinfo: { info_slave_data: { isolated: boolean } } }[];
    expect(port[0]?.linkinfo.info_slave_data.isolated).toBe(on);
  }, TIMEOUT);
});

describe("STATUS and GC (§2.1.10)", () => {
  test.each(fixtures.status.map((s) => [s.name, s] as const))("STATUS, %s", async (_name, s) => {
    await using w = await world(0);
    const conf = base("ipam" in s ? { ipam: { ...s.ipam, dataDir: DATA } } : {});
    const r = await bridgeCall(TS, w.host, { command: "STATUS", netns: "", stdin: conf });
    expect(r.code).toBe(s.exit);
    if ("msgPrefix" in s) expect((r.json as { msg: string }).msg).toStartWith(s.msgPrefix ?? "?");
    else expect(r.stdout).toBe(s.stdout);
  }, TIMEOUT);

  test("GC at 1.0.0 is refused", async () => {
    await using w = await world(0);
    const r = await bridgeCall(TS, w.host, { command: "GC", netns: "", stdin: base({}, "1.0.0") });
    expect({ exit: r.code, json: r.json }).toMatchObject({ exit: 1, json: fixtures["gc-1.0.0"] });
  }, TIMEOUT);

  test("GC frees the reservation and masquerade rules of attachments not in valid-attachments", async () => {
    await using w = await world(2);
    const [c0, c1] = w.containers;
    const conf = base({ isGateway: true, ipMasq: true, ipam: { type: "host-local", dataDir: DATA, ranges: [[{ subnet: "10.25.0.0/24" }]] } });
    for (const [i, ns] of [c0, c1].entries()) {
      const r = await bridgeCall(TS, w.host, { command: "ADD", containerId: `gc${i}`, netns: ns?.path ?? "", stdin: conf });
      expect(r.code).toBe(0);
    }
    const gc = await bridgeCall(TS, w.host, {
      command: "GC",
      netns: "",
      stdin: { ...conf, "cni.dev/valid-attachments": [{ containerID: "gc0", ifname: "eth0" }] },
    });
    expect({ code: gc.code, stdout: gc.stdout }).toEqual({ code: 0, stdout: "" });
    const files = (await w.host.run(["ls", `${DATA}/goldnet`])).stdout.split("\n").filter((f) => /^\d/.test(f));
    expect(files).toEqual(["10.25.0.2"]);
    const save = (await w.host.run(["iptables-save", "-t", "nat"])).stdout;
    expect(save).toContain('id: \\"gc0\\"');
    expect(save).not.toContain('id: \\"gc1\\"');
  }, TIMEOUT);
});
