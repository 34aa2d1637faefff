/**
 * bridge failure paths leave nothing behind (no veth, no IP reservation, no rule), 50 concurrent
 * ADDs on a fresh bridge all succeed, hostile names cannot reach the firewall batch, and a
 * containerd-style ADD execs only the firewall tools (IPAM runs in-process).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { distDir, exec, requireIsolatedHost, tempDir, tempNetns, type TempNetns } from "../harness.ts";
import { hostLocal, hostVeths, link, natRules, nftRuleset, reservations } from "./bridge-fixture.ts";
import { bridgeCall, TS } from "../fixtures/bridge/support.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const data = tempDir("tscni-bridge-fail-");
afterAll(() => data[Symbol.dispose]());

const conf = (name: string, bridge: string, subnet: string, extra: Record<string, unknown> = {}) => ({
  cniVersion: "1.0.0",
  name,
  type: "bridge",
  bridge,
  isGateway: true,
  ipMasq: true,
  ipam: hostLocal(data.path, [subnet]),
  ...extra,
});

interface Residue {
  veths: string[];
  nat: string[];
  nft: string;
}

async function residue(): Promise<Residue> {
  return { veths: await hostVeths(), nat: await natRules(4), nft: await nftRuleset() };
}

/**
 * Nothing new since `before`. Veths of earlier tests' namespaces may still be vanishing (netns
 * teardown is asynchronous), so veths are compared as "no new ones".
 */
async function expectNoResidue(before: Residue): Promise<void> {
  let now = await residue();
  // A veth whose peer lived in a namespace that was just destroyed goes away with that
  // namespace's asynchronous teardown: give the kernel a bounded moment before judging.
  for (let i = 0; i < 100 && now.veths.some((v) => !before.veths.includes(v)); i++) {
    await Bun.sleep(50);
    now = await residue();
  }
  expect(now.veths.filter((v) => !before.veths.includes(v))).toEqual([]);
  expect(now.nat).toEqual(before.nat);
  expect(now.nft).toEqual(before.nft);
}

describe("a failed ADD leaves nothing behind", () => {
  test("IPAM fails mid-ADD (exhausted range): no veth, no container link", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    // A /30 has exactly one address to hand out besides the gateway.
    const c = conf("tiny", "brtiny", "10.30.0.0/30");
    const ok = await bridgeCall(c, { command: "ADD", netns: a.path, containerId: "a" });
    expect(ok.code).toBe(0);
    const before = await residue();
    const r = await bridgeCall(c, { command: "ADD", netns: b.path, containerId: "b" });
    expect(r.code).toBe(1);
    expect((r.json as { msg: string }).msg).toContain("no IP addresses available in range set");
    await expectNoResidue(before);
    expect(await link("eth0", b)).toBeUndefined();
    expect(reservations(data.path, "tiny")).toEqual(["10.30.0.2"]);
  });

  test("a missing IPAM binary: the reference's message, no veth", async () => {
    await using ns = await tempNetns();
    const before = await residue();
    const r = await bridgeCall(conf("noipam", "brnoipam", "10.31.0.0/24", { ipam: { type: "nope" } }), {
      command: "ADD",
      netns: ns.path,
    });
    expect(r.json).toEqual({ code: 999, msg: `failed to find plugin "nope" in path [${distDir}]` });
    await expectNoResidue(before);
    expect(await link("eth0", ns)).toBeUndefined();
  });

  test("an existing non-bridge link named like the bridge", async () => {
    await using ns = await tempNetns();
    await exec(["ip", "link", "add", "notabr", "type", "veth", "peer", "name", "notabrp"]);
    const before = await residue();
    const r = await bridgeCall(conf("nb", "notabr", "10.32.0.0/24"), { command: "ADD", netns: ns.path });
    expect(r.json).toEqual({ code: 999, msg: 'failed to create bridge "notabr": "notabr" already exists but is not a bridge' });
    await expectNoResidue(before);
    expect(reservations(data.path, "nb")).toEqual([]);
  });

  test("a failure after IPAM and masquerade (bridge address conflict) rolls back rules and reservation", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const first = conf("conf1", "brconf", "10.33.0.0/24");
    expect((await bridgeCall(first, { command: "ADD", netns: a.path, containerId: "a" })).code).toBe(0);
    const before = await residue();
    const second = conf("conf2", "brconf", "10.34.0.0/24");
    const r = await bridgeCall(second, { command: "ADD", netns: b.path, containerId: "b" });
    expect((r.json as { msg: string }).msg).toBe('failed to set bridge addr: "brconf" already has an IP address different from 10.34.0.1/24');
    await expectNoResidue(before);
    expect(reservations(data.path, "conf2")).toEqual([]);
  });

  test("the netns deleted before DEL: DEL succeeds and removes IP and masquerade rules", async () => {
    const ns = await tempNetns();
    const c = conf("gone", "brgone", "10.35.0.0/24");
    const before = await residue();
    expect((await bridgeCall(c, { command: "ADD", netns: ns.path })).code).toBe(0);
    await ns[Symbol.asyncDispose]();
    const d = await bridgeCall(c, { command: "DEL", netns: ns.path });
    expect(d.code).toBe(0);
    await expectNoResidue(before);
    expect(reservations(data.path, "gone")).toEqual([]);
  });
});

describe("concurrency", () => {
  test("50 ADDs at once on a fresh bridge all succeed", async () => {
    const nets: TempNetns[] = [];
    for (let i = 0; i < 50; i++) nets.push(await tempNetns());
    try {
      const c = conf("fifty", "brfifty", "10.50.0.0/24", { ipMasq: false });
      const results = await Promise.all(nets.map((ns, i) => bridgeCall(c, { command: "ADD", netns: ns.path, containerId: `c${i}` })));
      const failed = results.filter((r) => r.code !== 0).map((r) => r.stdout);
      expect(failed).toEqual([]);
      const ips = new Set(results.map((r) => (r.json as { ips: { address: string }[] }).ips[0]?.address));
      expect(ips.size).toBe(50);
      expect(reservations(data.path, "fifty").length).toBe(50);
    } finally {
      for (const ns of nets) await ns[Symbol.asyncDispose]();
    }
  });
});

describe("injection safety, end to end", () => {
  // skel refuses these in CNI_CONTAINERID and the network name (code 4 / 7); CNI_IFNAME may carry
  // quotes, `#` and `;` (the kernel accepts them), and it reaches nft comments and chain names.
  test.each([
    ["newline in the network name", { name: "inj\n-A POSTROUTING -j ACCEPT" }, "eth0"],
    ["quote in the ifname", {}, 'e"x'],
    ["hash in the ifname", {}, "e#x"],
    ["semicolon in the ifname", {}, "e;x"],
    ["all of them", {}, 'a"#;}{b'],
  ])("%s: refused cleanly, or confined to the attachment's own objects", async (_what, extra, ifname) => {
    await using ns = await tempNetns();
    const before = await residue();
    const c = conf("inj", "brinj", "10.36.0.0/24", { ipMasqBackend: "nftables", macspoofchk: true, ...extra });
    const r = await bridgeCall(c, { command: "ADD", netns: ns.path, containerId: "inj1", ifname });
    if (r.code !== 0) {
      await expectNoResidue(before);
      expect(reservations(data.path, "inj")).toEqual([]);
      // The runtime's DEL after the failed ADD must not get stuck on the name (skel refuses a bad network name).
      if (!("name" in extra)) expect((await bridgeCall(c, { command: "DEL", netns: ns.path, containerId: "inj1", ifname })).code).toBe(0);
      return;
    }
    const rs = await nftRuleset();
    expect(rs.match(/ masquerade comment/g)?.length).toBe(1);
    expect(rs).not.toMatch(/^\s*accept$/m);
    const d = await bridgeCall(c, { command: "DEL", netns: ns.path, containerId: "inj1", ifname });
    expect(d.code).toBe(0);
    expect((await nftRuleset()).match(/ masquerade comment/g)).toBeNull();
  });
});

describe("process count", () => {
  test("a containerd-style ADD execs no IPAM plugin and one restore per family", async () => {
    await using ns = await tempNetns();
    const stdin = JSON.stringify({
      cniVersion: "1.0.0",
      name: "containerd-net",
      type: "bridge",
      bridge: "cni0",
      isGateway: true,
      ipMasq: true,
      promiscMode: true,
      ipam: {
        type: "host-local",
        dataDir: data.path,
        ranges: [[{ subnet: "10.88.0.0/16" }], [{ subnet: "2001:4860:4860::/64" }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
      },
    });
    const log = join(data.path, "strace.log");
    const env = {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "ctrd",
      CNI_NETNS: ns.path,
      CNI_IFNAME: "eth0",
      CNI_PATH: distDir,
    };
    const out = await exec(["strace", "-f", "-qq", "-e", "trace=execve", "-o", log, TS.bridge], { stdin, env });
    expect(out.code).toBe(0);
    const execs = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.includes("execve(") && !l.includes("ENOENT"))
      .map((l) => /execve\("([^"]+)"/.exec(l)?.[1] ?? "")
      .map((p) => p.split("/").pop() ?? "");
    expect(execs[0]).toBe("bridge");
    const rest = execs.slice(1);
    expect(rest).not.toContain("host-local");
    expect(rest).not.toContain("tscni");
    expect(rest.filter((p) => p.includes("restore")).length).toBeLessThanOrEqual(2);
    expect(rest.every((p) => /^(ip6?tables(-nft)?-(save|restore)|xtables-nft-multi)$/.test(p))).toBe(true);
  });
});

