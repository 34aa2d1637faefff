/**
 * The firewall rules bridge writes, through its symlink in the runner's throwaway host: ipMasq
 * with either backend (iptables-save, nft) and macspoofchk's bridge-family chains, each removed
 * again by DEL.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost, tempNetns } from "../harness.ts";
import { bridgeCall } from "../fixtures/bridge/support.ts";
import { hostVeths, link, natRules, nftRuleset, reservations } from "./bridge-fixture.ts";
import { add, bridgeNetworks } from "./bridge-networks.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const nets = bridgeNetworks("tscni-bridge-firewall-");
const { net, dataDir } = nets;

describe("ipMasq (D.49, D.50)", () => {
  test("iptables: chain, rules, comment; DEL removes them even after the netns is gone", async () => {
    const ns = await tempNetns();
    const conf = net({ ipMasq: true, ipMasqBackend: "iptables", name: "mynet" });
    await add(conf, ns, { containerId: "ctr1" });
    const rules = await natRules(4);
    const chain = "CNI-5145007e2a8415ce07579739";
    expect(rules).toContain(`-A POSTROUTING -s ${`10.${nets.seq}.0.2`}/32 -m comment --comment "name: \\"mynet\\" id: \\"ctr1\\"" -j ${chain}`);
    expect(rules.filter((r) => r.startsWith(`-A ${chain} `)).length).toBe(2);
    await ns[Symbol.asyncDispose]();
    const r = await bridgeCall(conf, { command: "DEL", netns: ns.path, containerId: "ctr1" });
    expect(r.code).toBe(0);
    expect((await natRules(4)).filter((l) => l.includes(chain))).toEqual([]);
    expect(reservations(dataDir, "mynet")).toEqual([]);
  });

  test("nftables: one commented masq_checks rule; re-ADD does not duplicate; DEL removes only it", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ ipMasq: true, ipMasqBackend: "nftables" });
    await add(conf, a, { containerId: "a" });
    await add(conf, b, { containerId: "b" });
    let rs = await nftRuleset();
    expect(rs).toContain("table inet cni_plugins_masquerade");
    expect(rs.match(/masquerade comment/g)?.length).toBe(2);
    const d = await bridgeCall(conf, { command: "DEL", netns: a.path, containerId: "a" });
    expect(d.code).toBe(0);
    rs = await nftRuleset();
    expect(rs.match(/masquerade comment/g)?.length).toBe(1);
    expect(rs).toContain("id: b");
  });

  test("unknown ipMasqBackend fails after IP config and rolls everything back (D.51)", async () => {
    await using ns = await tempNetns();
    const conf = net({ ipMasq: true, ipMasqBackend: "foo" });
    const before = await hostVeths();
    const r = await bridgeCall(conf, { command: "ADD", netns: ns.path });
    expect(r.json).toEqual({ code: 999, msg: 'unknown ipmasq backend "foo"' });
    expect(reservations(dataDir, String(conf.name))).toEqual([]);
    expect(await link("eth0", ns)).toBeUndefined();
    expect((await hostVeths()).filter((v) => !before.includes(v))).toEqual([]);
  });
});

describe("macspoofchk (D.52)", () => {
  test("bridge-family chains and rules; DEL removes them, keeping table and base chain", async () => {
    await using ns = await tempNetns();
    const conf = net({ macspoofchk: true });
    const res = await add(conf, ns, { containerId: "dummy-0" });
    let rs = await nftRuleset();
    expect(rs).toContain("chain cni-br-iface-dummy-0-eth0 {");
    expect(rs).toContain(`iifname "${res.interfaces[1]?.name}" jump cni-br-iface-dummy-0-eth0 comment "macspoofchk-dummy-0-eth0"`);
    expect(rs).toContain(`ether saddr ${res.interfaces[2]?.mac} return comment "macspoofchk-dummy-0-eth0"`);
    const d = await bridgeCall(conf, { command: "DEL", netns: ns.path, containerId: "dummy-0" });
    expect(d.code).toBe(0);
    rs = await nftRuleset();
    expect(rs).not.toContain("cni-br-iface-dummy-0-eth0");
    expect(rs).toContain("table bridge nat");
  });
});
