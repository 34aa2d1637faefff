/**
 * bridge DEL, CHECK, STATUS and GC through its symlink in the runner's throwaway host: what DEL
 * removes and releases (also without a netns), CHECK's pass and each mismatch message (compared
 * live with v1.9.1's), STATUS
 * forwarded to IPAM, and GC releasing stale addresses and masquerade rules.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost, tempNetns, type TempNetns } from "../harness.ts";
import { bridgeCall, REF, TS } from "../fixtures/bridge/support.ts";
import { link, natRules, reservations } from "./bridge-fixture.ts";
import { add, bridgeNetworks, type BridgeResult } from "./bridge-networks.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const { net, dataDir } = bridgeNetworks("tscni-bridge-verbs-");

describe("DEL (D.55)", () => {
  test("removes the link, releases the IP; repeat, empty netns and vanished netns all succeed", async () => {
    const ns = await tempNetns();
    const conf = net();
    const res = await add(conf, ns);
    const d = await bridgeCall(conf, { command: "DEL", netns: ns.path });
    expect(d.code).toBe(0);
    expect(d.stdout).toBe("");
    expect(await link("eth0", ns)).toBeUndefined();
    expect(await link(res.interfaces[1]?.name ?? "")).toBeUndefined();
    expect(reservations(dataDir, String(conf.name))).toEqual([]);
    expect((await bridgeCall(conf, { command: "DEL", netns: ns.path })).code).toBe(0);
    expect((await bridgeCall(conf, { command: "DEL", netns: "" })).code).toBe(0);
    await ns[Symbol.asyncDispose]();
    expect((await bridgeCall(conf, { command: "DEL", netns: ns.path })).code).toBe(0);
  });

  test("empty CNI_NETNS still releases the IP", async () => {
    await using ns = await tempNetns();
    const conf = net();
    await add(conf, ns);
    expect(reservations(dataDir, String(conf.name)).length).toBe(1);
    expect((await bridgeCall(conf, { command: "DEL", netns: "" })).code).toBe(0);
    expect(reservations(dataDir, String(conf.name))).toEqual([]);
  });

  test("invalid config and a missing IPAM binary fail DEL", async () => {
    const bad = await bridgeCall(net({ vlan: 9999 }), { command: "DEL" });
    expect(bad.json).toEqual({ code: 999, msg: "invalid VLAN ID 9999 (must be between 0 and 4094)" });
    const missing = await bridgeCall(net({ ipam: { type: "nope" } }), { command: "DEL" });
    expect((missing.json as { msg: string }).msg).toStartWith('failed to find plugin "nope" in path [');
  });
});

describe("CHECK (D.56, D.57)", () => {
  const check = (conf: object, ns: TempNetns, prevResult?: unknown) =>
    bridgeCall(prevResult === undefined ? conf : { ...conf, prevResult }, { command: "CHECK", netns: ns.path });

  test("happy path at 1.1.0 and 0.4.0, dual stack", async () => {
    for (const cniVersion of ["1.1.0", "0.4.0"]) {
      await using ns = await tempNetns();
      const conf = net({ cniVersion, isDefaultGateway: true }, [`10.22${cniVersion === "1.1.0" ? 1 : 2}.0.0/24`, "fd00:221::/64"]);
      const res = await add(conf, ns);
      const r = await check(conf, ns, res);
      expect(r.stdout).toBe("");
      expect(r.code).toBe(0);
    }
  });

  test("L2 CHECK passes (the reference always fails here)", async () => {
    await using ns = await tempNetns();
    const conf = { ...net({ cniVersion: "1.0.0" }), ipam: undefined };
    const res = await add(conf, ns);
    const r = await check(conf, ns, res);
    expect(r.code).toBe(0);
  });

  // v1.9.1 and tscni each CHECK their own ADD's result, mismatched the same ways; the messages are
  // compared with each one's bridge name, MAC and netns path as placeholders.
  test("each mismatch gives v1.9.1's message (both live)", async () => {
    const messages: Record<string, string[]> = {};
    for (const impl of [REF, TS]) {
      await using ns = await tempNetns();
      const conf = net({ isDefaultGateway: true });
      const res = (await bridgeCall(conf, { impl, command: "ADD", netns: ns.path })).json as BridgeResult;
      const br = String(conf.bridge);
      const ctrMac = res.interfaces[2]?.mac ?? "";
      const msg = async (c: object, prev: unknown): Promise<string> => {
        const r = await bridgeCall(prev === undefined ? c : { ...c, prevResult: prev }, { impl, command: "CHECK", netns: ns.path });
        const text = `${r.code} ${(r.json as { msg?: string } | undefined)?.msg ?? r.stdout}`;
        return text.replaceAll(br, "@BR@").replaceAll(ctrMac, "@MAC@").replaceAll(ns.path, "@NETNS@");
      };
      const clone = (): BridgeResult => JSON.parse(JSON.stringify(res)) as BridgeResult;
      const wrongMac = clone();
      wrongMac.interfaces[2] = { ...wrongMac.interfaces[2], name: "eth0", mac: "02:00:00:00:00:99" };
      const extraIp = clone();
      extraIp.ips?.push({ address: "10.99.0.5/16", interface: 2 });
      const extraRoute = clone();
      extraRoute.routes?.push({ dst: "10.99.0.0/16" });
      const wrongSandbox = clone();
      wrongSandbox.interfaces[2] = { name: "eth0", sandbox: "/proc/1/ns/net" };
      const seen = [
        await msg(conf, undefined),
        await msg(conf, wrongMac),
        await msg({ ...conf, promiscMode: true }, res),
        await msg(conf, extraIp),
        await msg(conf, extraRoute),
        await msg(conf, wrongSandbox),
      ];
      const { exec } = await import("../harness.ts");
      expect((await exec(["ip", "link", "set", res.interfaces[1]?.name ?? "", "nomaster"])).code).toBe(0);
      seen.push(await msg(conf, res));
      messages[impl.name] = seen;
    }
    expect(messages[TS.name]).toEqual(messages[REF.name]);
    // Each one is a failure, exit 1 (not a pass that happens to print the same nothing).
    expect(messages[TS.name]?.filter((m) => !m.startsWith("1 "))).toEqual([]);
    expect(messages[TS.name]?.[4]).toContain("Expected Route {Dst:{IP:10.99.0.0 Mask:ffff0000} GW:<nil>");
  });
});

describe("STATUS and GC (D.58)", () => {
  test("STATUS forwards to IPAM", async () => {
    expect((await bridgeCall(net(), { command: "STATUS" })).code).toBe(0);
    expect((await bridgeCall({ ...net(), ipam: undefined }, { command: "STATUS" })).code).toBe(0);
    const r = await bridgeCall(net({ ipam: { type: "nope" } }), { command: "STATUS" });
    expect((r.json as { msg: string }).msg).toStartWith('failed to find plugin "nope" in path [');
  });

  test("GC releases stale IPs and masquerade rules, keeps the valid attachment's", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ ipMasq: true, ipMasqBackend: "iptables" });
    await add(conf, a, { containerId: "keep" });
    await add(conf, b, { containerId: "stale" });
    expect((await natRules(4)).filter((r) => r.startsWith("-A POSTROUTING")).length).toBeGreaterThanOrEqual(2);
    const gc = await bridgeCall({ ...conf, "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] }, { command: "GC" });
    expect(gc.stdout).toBe("");
    expect(gc.code).toBe(0);
    const post = (await natRules(4)).filter((r) => r.includes(`name: \\"${conf.name}\\"`) && r.startsWith("-A POSTROUTING"));
    expect(post.length).toBe(1);
    expect(post[0]).toContain('id: \\"keep\\"');
    expect(reservations(dataDir, String(conf.name)).length).toBe(1);
  });
});
