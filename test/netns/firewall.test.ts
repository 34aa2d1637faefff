/**
 * src/firewall against the real kernel, inside the runner's throwaway host netns: ADD gives the
 * exact rules, a repeated ADD adds nothing, DEL returns to the baseline, and one attachment's DEL
 * never touches another's.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { iptablesBackend } from "../../src/firewall/iptables-backend.ts";
import { nftablesBackend } from "../../src/firewall/nftables-backend.ts";
import { type PortmapRequest, setupMasq, setupSpoofCheck, teardownMasq, teardownSpoofCheck } from "../../src/firewall/index.ts";
import { mustExec, requireIsolatedHost } from "../harness.ts";

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
const C = '"dnat name: \\"test\\" id: \\"ctr1\\""';

describe("portmap iptables", () => {
  const reqs = [pm(), pm({ containerIp: "2001:db8:1::2/64" })];

  test("ADD gives the reference's exact iptables-save rules; repeated ADD adds nothing; CHECK passes", async () => {
    const baseline = await natRules("iptables-save");
    await iptablesBackend.apply({ kind: "portmap", reqs: reqs });
    const after = await natRules("iptables-save");
    expect(after).toEqual([
      `:${DN} - [0:0]`,
      ":CNI-HOSTPORT-DNAT - [0:0]",
      ":CNI-HOSTPORT-MASQ - [0:0]",
      ":CNI-HOSTPORT-SETMARK - [0:0]",
      "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
      "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
      '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
      `-A ${DN} -s 10.0.0.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80`,
      `-A ${DN} -s 10.0.0.0/24 -d 192.168.1.5/32 -p udp -m udp --dport 8081 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -s 127.0.0.1/32 -d 192.168.1.5/32 -p udp -m udp --dport 8081 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -d 192.168.1.5/32 -p udp -m udp --dport 8081 -j DNAT --to-destination 10.0.0.2:81`,
      `-A ${DN} -s 10.0.0.0/24 -p sctp -m sctp --dport 8083 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -s 127.0.0.1/32 -p sctp -m sctp --dport 8083 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -p sctp -m sctp --dport 8083 -j DNAT --to-destination 10.0.0.2:83`,
      `-A CNI-HOSTPORT-DNAT -p sctp -m comment --comment ${C} -m multiport --dports 8083 -j ${DN}`,
      `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${C} -m multiport --dports 8080,8082 -j ${DN}`,
      `-A CNI-HOSTPORT-DNAT -p udp -m comment --comment ${C} -m multiport --dports 8081 -j ${DN}`,
      "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
      '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
    ]);
    await iptablesBackend.apply({ kind: "portmap", reqs: reqs });
    expect(await natRules("iptables-save")).toEqual(after);
    await iptablesBackend.check({ kind: "portmap", reqs: reqs });
    expect(baseline).toEqual([]);
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
