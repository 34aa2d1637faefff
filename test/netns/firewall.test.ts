/**
 * src/firewall against the real kernel, inside the runner's throwaway host netns: ADD gives the
 * rules v1.9.1's portmap writes for the same attachment (run live here), a repeated ADD adds nothing, DEL returns to the baseline, and one attachment's DEL
 * never touches another's.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { iptablesBackend } from "../../src/firewall/iptables-backend.ts";
import { nftablesBackend } from "../../src/firewall/nftables-backend.ts";
import { type PortmapRequest, setupMasq, setupSpoofCheck, teardownMasq, teardownSpoofCheck } from "../../src/firewall/index.ts";
import { masqChainName, nftMasqComment, portmapDnatChainName } from "../../src/firewall/names.ts";
import { mustExec, requireIsolatedHost, runCni, tempNetns } from "../harness.ts";
import { V111_DIR, V191_DIR } from "../differential/oracles.ts";
import { REFERENCE_MASQ_SAVE_V4, REFERENCE_SAVE_V4 } from "../fixtures/firewall/reference-saves.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

beforeAll(() => {
  process.env.TSCNI_FIREWALL_LOCK = join(mkdtempSync(join(tmpdir(), "tscni-fw-")), "firewall.lock");
});

const PATH_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };

async function natRules(tool: "iptables-save" | "ip6tables-save"): Promise<string[]> {
  const out = await mustExec([tool, "-t", "nat"], { env: PATH_ENV });
  return out.split("\n").filter((l) => l.startsWith("-A ") || l.startsWith(":CNI"));
}

async function nftTable(family: string, table: string): Promise<string> {
  return mustExec(["nft", "list", "table", family, table], { env: PATH_ENV });
}

async function nftRulesWithComment(comment: string): Promise<number> {
  const json = JSON.parse(await mustExec(["nft", "-j", "list", "ruleset"], { env: PATH_ENV })) as {
    nftables: Array<{ rule?: { comment?: string } }>;
  };
  return json.nftables.filter((o) => o.rule?.comment === comment).length;
}

function pm(over: Partial<PortmapRequest> = {}): PortmapRequest {
  return {
    network: "test",
    containerId: "ctr1",
    containerIp: "10.0.0.2/24",
    mappings: [
      { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 8081, containerPort: 81, protocol: "udp", hostIP: "192.168.1.5" },
      { hostPort: 8082, containerPort: 82, protocol: "tcp", hostIP: "2001:db8::5" },
      { hostPort: 8083, containerPort: 83, protocol: "sctp", hostIP: "0.0.0.0" },
    ],
    snat: true,
    masqAll: false,
    markMasqBit: 13,
    ...over,
  };
}

const DN = "CNI-DN-3a53437c165fe05c780a9";

/** portmap's config for the attachment of `reqs` (one network and container, one IP each). */
function portmapConf(reqs: PortmapRequest[]): object {
  const first = reqs[0] ?? pm();
  return {
    cniVersion: "1.0.0",
    name: first.network,
    type: "portmap",
    capabilities: { portMappings: true },
    runtimeConfig: { portMappings: first.mappings },
    prevResult: {
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0", sandbox: "/x" }],
      ips: reqs.map((r) => ({ address: r.containerIp, interface: 0 })),
    },
  };
}

/**
 * What a reference plugin writes (iptables layout) for one ADD, read as natRules reads ours; its
 * DEL's exit is checked and the nat tables are then emptied, so the next writer starts from the
 * same (empty) state.
 */
async function referenceRules(dir: string, plugin: string, conf: object, containerId: string): Promise<{ v4: string[]; v6: string[] }> {
  await using ctr = await tempNetns();
  const call = (command: string) => runCni(join(dir, plugin), { command, containerId, netns: ctr.path, ifname: "eth0", path: dir, stdin: conf, env: PATH_ENV });
  const add = await call("ADD");
  expect({ code: add.code, stderr: add.stderr }).toEqual({ code: 0, stderr: "" });
  const rules = { v4: await natRules("iptables-save"), v6: await natRules("ip6tables-save") };
  expect((await call("DEL")).code).toBe(0);
  for (const tool of ["iptables", "ip6tables"]) {
    await mustExec([tool, "-t", "nat", "-F"], { env: PATH_ENV });
    await mustExec([tool, "-t", "nat", "-X"], { env: PATH_ENV });
  }
  return rules;
}

const savedRules = (save: string): string[] => save.split("\n").filter((l) => l.startsWith("-A ") || l.startsWith(":CNI"));

describe("firewall names: tscni's name functions give the names v1.9.1 creates (live)", () => {
  const LONG_ID = "icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9ceu0daez5hashee8ooYai5wa3y";
  const bridgeConf = (name: string, backend: string) => ({
    cniVersion: "1.0.0",
    name,
    type: "bridge",
    bridge: "brname0",
    isGateway: true,
    ipMasq: true,
    ipMasqBackend: backend,
    ipam: { type: "host-local", dataDir: mkdtempSync(join(tmpdir(), "tscni-fw-ipam-")), ranges: [[{ subnet: "10.23.0.0/24" }]] },
  });
  const chains = (rules: string[], prefix: string): string[] => rules.filter((l) => l.startsWith(`:${prefix}`)).map((l) => l.slice(1).split(" ")[0] ?? "");

  test("portmap DNAT chain and bridge masquerade chain, a 128-character container ID", async () => {
    const dn = await referenceRules(V191_DIR, "portmap", portmapConf([pm({ network: "testNetName", containerId: LONG_ID })]), LONG_ID);
    expect(chains(dn.v4, "CNI-DN-")).toEqual([portmapDnatChainName("testNetName", LONG_ID)]);
    const masq = await referenceRules(V191_DIR, "bridge", bridgeConf("mynet", "iptables"), LONG_ID);
    expect(chains(masq.v4, "CNI-").filter((c) => !c.startsWith("CNI-HOSTPORT"))).toEqual([masqChainName("mynet", LONG_ID)]);
  });

  test("bridge nft masquerade comment", async () => {
    await using ctr = await tempNetns();
    const conf = bridgeConf("gw", "nftables");
    const call = (command: string) => runCni(join(V191_DIR, "bridge"), { command, containerId: "c1", netns: ctr.path, ifname: "eth0", path: V191_DIR, stdin: conf, env: PATH_ENV });
    expect((await call("ADD")).code).toBe(0);
    expect(await nftRulesWithComment(nftMasqComment("gw", "eth0", "c1"))).toBeGreaterThan(0);
    expect((await call("DEL")).code).toBe(0);
    expect(await nftRulesWithComment(nftMasqComment("gw", "eth0", "c1"))).toBe(0);
  });
});

describe("the unit tests' reference fixtures are what v1.9.1 and v1.1.1 write (live)", () => {
  const masqConf = (dataDir: string) => ({
    cniVersion: "1.0.0",
    name: "mynet",
    type: "bridge",
    bridge: "brfix0",
    isGateway: true,
    ipMasq: true,
    ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.22.0.0/24" }]] },
  });
  test.each([
    ["v1.9.1", V191_DIR],
    ["v1.1.1", V111_DIR],
  ])("%s: portmap and bridge ipMasq", async (_label, dir) => {
    expect((await referenceRules(dir, "portmap", portmapConf([pm()]), "ctr1")).v4).toEqual(savedRules(REFERENCE_SAVE_V4));
    const fresh = mkdtempSync(join(tmpdir(), "tscni-fw-ipam-"));
    expect((await referenceRules(dir, "bridge", masqConf(fresh), "ctr1")).v4).toEqual(savedRules(REFERENCE_MASQ_SAVE_V4));
  });
});

describe("portmap iptables", () => {
  const reqs = [pm(), pm({ containerIp: "2001:db8:1::2/64" })];

  test("ADD gives v1.9.1's iptables-save rules (live, both families); repeated ADD adds nothing; CHECK passes", async () => {
    const baseline = await natRules("iptables-save");
    expect(baseline).toEqual([]);
    const theirs = await referenceRules(V191_DIR, "portmap", portmapConf(reqs), "ctr1");
    await iptablesBackend.apply({ kind: "portmap", reqs: reqs });
    const after = await natRules("iptables-save");
    expect({ v4: after, v6: await natRules("ip6tables-save") }).toEqual(theirs);
    expect(after).toContain(`-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80`);
    await iptablesBackend.apply({ kind: "portmap", reqs: reqs });
    expect(await natRules("iptables-save")).toEqual(after);
    await iptablesBackend.check({ kind: "portmap", reqs: reqs });
  });

  test("DEL of B never touches A; DEL of A leaves only the shared chains; repeated DEL is fine", async () => {
    const v6Before = await natRules("ip6tables-save");
    const b = [pm({ containerId: "ctr2", containerIp: "10.0.0.3/24", mappings: [{ hostPort: 9090, containerPort: 90, protocol: "tcp" }] })];
    const withA = await natRules("iptables-save");
    await iptablesBackend.apply({ kind: "portmap", reqs: b });
    await iptablesBackend.removeOwned({ kind: "portmap", ref: { network: "test", containerId: "ctr2" } });
    expect(await natRules("iptables-save")).toEqual(withA);
    await iptablesBackend.removeOwned({ kind: "portmap", ref: { network: "test", containerId: "ctr1" } });
    await iptablesBackend.removeOwned({ kind: "portmap", ref: { network: "test", containerId: "ctr1" } });
    const shared = (await natRules("iptables-save")).join("\n");
    expect(shared).not.toContain("CNI-DN-");
    expect(shared).toContain("CNI-HOSTPORT-SETMARK");
    expect(v6Before.some((l) => l.includes(DN))).toBe(true);
    expect((await natRules("ip6tables-save")).some((l) => l.includes(DN))).toBe(false);
    await expect(iptablesBackend.check({ kind: "portmap", reqs: [pm()] })).rejects.toThrow(`could not check ipv4 dnat: chain ${DN} not found in iptables table nat`);
  });
});

describe("portmap nftables", () => {
  const reqs = [pm(), pm({ containerIp: "2001:db8:1::2/64" })];

  test("ADD, repeated ADD without duplicates, CHECK, DEL by container ID only", async () => {
    await nftablesBackend.apply({ kind: "portmap", reqs: reqs });
    await nftablesBackend.apply({ kind: "portmap", reqs: reqs });
    await nftablesBackend.apply({ kind: "portmap", reqs: [pm({ containerId: "other", containerIp: "10.0.0.9/24" })] });
    const v4 = await nftTable("ip", "cni_hostport");
    expect(v4).toContain("fib daddr type local jump hostports_all");
    expect(v4).toContain("type nat hook prerouting priority dstnat; policy accept;");
    expect(v4).toContain("type nat hook postrouting priority srcnat; policy accept;");
    expect(await nftRulesWithComment("ctr1")).toBe(3 + 2 + 2 + 1); // v4: 3 DNAT + 2 masq; v6: 2 DNAT + 1 masq
    await nftablesBackend.check({ kind: "portmap", reqs: reqs });
    await nftablesBackend.removeOwned({ kind: "portmap", ref: { network: "test", containerId: "ctr1" } });
    await nftablesBackend.removeOwned({ kind: "portmap", ref: { network: "test", containerId: "ctr1" } });
    expect(await nftRulesWithComment("ctr1")).toBe(0);
    expect(await nftRulesWithComment("other")).toBe(5);
    await expect(nftablesBackend.check({ kind: "portmap", reqs })).rejects.toThrow('missing hostport rules in "hostports" chain');
  });
});

describe("bridge ipMasq", () => {
  const masq = { network: "mynet", containerId: "ctr1", ifname: "eth0", addresses: ["10.22.0.2/24", "2001:db8:5::2/64"] };
  const chain = "CNI-5145007e2a8415ce07579739";
  const c = '"name: \\"mynet\\" id: \\"ctr1\\""';

  test("iptables: exact rules, idempotent, DEL without addresses cleans up", async () => {
    const before4 = await natRules("iptables-save");
    const before6 = await natRules("ip6tables-save");
    await setupMasq(masq, iptablesBackend);
    await setupMasq(masq, iptablesBackend);
    const v4 = await natRules("iptables-save");
    expect(v4.filter((l) => l.includes(chain))).toEqual([
      `:${chain} - [0:0]`,
      `-A POSTROUTING -s 10.22.0.2/32 -m comment --comment ${c} -j ${chain}`,
      `-A ${chain} -d 10.22.0.0/24 -m comment --comment ${c} -j ACCEPT`,
      `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment ${c} -j MASQUERADE`,
    ]);
    expect((await natRules("ip6tables-save")).filter((l) => l.includes(chain))).toEqual([
      `:${chain} - [0:0]`,
      `-A POSTROUTING -s 2001:db8:5::2/128 -m comment --comment ${c} -j ${chain}`,
      `-A ${chain} -d 2001:db8:5::/64 -m comment --comment ${c} -j ACCEPT`,
      `-A ${chain} ! -d ff00::/8 -m comment --comment ${c} -j MASQUERADE`,
    ]);
    await teardownMasq({ network: "mynet", containerId: "ctr1", ifname: "eth0" });
    expect(await natRules("iptables-save")).toEqual(before4);
    expect(await natRules("ip6tables-save")).toEqual(before6);
  });

  test("nftables: one rule per address, re-ADD replaces, DEL of A keeps B", async () => {
    await setupMasq(masq, nftablesBackend);
    await setupMasq(masq, nftablesBackend);
    await setupMasq({ ...masq, containerId: "ctr2", addresses: ["10.22.0.3/24"] }, nftablesBackend);
    const table = await nftTable("inet", "cni_plugins_masquerade");
    expect(table.match(/id: ctr1"/g)?.length).toBe(2);
    expect(table).toContain("ip saddr 10.22.0.2 ip daddr != 10.22.0.0/24 masquerade");
    await teardownMasq({ network: "mynet", containerId: "ctr1", ifname: "eth0" });
    const after = await nftTable("inet", "cni_plugins_masquerade");
    expect(after).not.toContain("id: ctr1");
    expect(after).toContain("ip saddr 10.22.0.3 ip daddr != 10.22.0.0/24 masquerade");
  });
});

describe("macspoofchk", () => {
  test("ADD twice gives one jump; DEL removes chains and jump, keeps table and base chain", async () => {
    const req = { containerId: "dummy-0", ifname: "eth0", hostIfname: "veth1", containerMac: "0a:58:0a:f4:00:02" };
    await setupSpoofCheck(req);
    await setupSpoofCheck(req);
    await setupSpoofCheck({ ...req, containerId: "other", hostIfname: "veth2" });
    expect(await nftRulesWithComment("macspoofchk-dummy-0-eth0")).toBe(4);
    await teardownSpoofCheck({ containerId: "dummy-0", ifname: "eth0" });
    await teardownSpoofCheck({ containerId: "dummy-0", ifname: "eth0" });
    expect(await nftRulesWithComment("macspoofchk-dummy-0-eth0")).toBe(0);
    expect(await nftRulesWithComment("macspoofchk-other-eth0")).toBe(4);
    const table = await nftTable("bridge", "nat");
    expect(table).toContain("chain PREROUTING");
    expect(table).not.toContain("cni-br-iface-dummy-0-eth0");
  });
});
