import { describe, expect, test } from "bun:test";
import { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd, portmapIptablesDel } from "../../../src/firewall/iptables-plans.ts";
import type { NftPlan, NftTableRef } from "../../../src/firewall/model.ts";
import { masqChainName, portmapDnatChainName, portmapLegacySnatChainName } from "../../../src/firewall/names.ts";
import { iptablesChainNames, iptablesJumpsOnly, iptablesReadScope, nftReadScope } from "../../../src/firewall/read-scope.ts";

const CID = "0123456789abcdef";

describe("read scope: the chains a call reads", () => {
  const SHARED_CHAINS = new Set(["PREROUTING", "OUTPUT", "POSTROUTING", "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ"]);
  const portmapReq = {
    network: "net",
    containerId: CID,
    containerIp: "10.1.0.5/24",
    mappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
    snat: true,
    masqAll: false,
    markMasqBit: 13,
  };

  test("bridge ipMasq ADD of a new pod reads no entry chain (nothing can jump to its chain yet); a re-ADD reads POSTROUTING", () => {
    const plans = masqIptablesAdd({ network: "net", containerId: CID, ifname: "eth0", addresses: ["10.1.0.5/24", "fd00::5/64"] });
    const chain = masqChainName("net", CID);
    expect(iptablesReadScope(plans, 4)(SHARED_CHAINS)).toEqual([]);
    expect(iptablesReadScope(plans, 6)(new Set([...SHARED_CHAINS, chain])).sort()).toEqual([chain, "POSTROUTING"].sort());
    expect(iptablesReadScope(plans.filter((p) => p.family === 4), 6)(new Set([chain]))).toEqual([]);
  });

  test("the chains looked up by name are the ones the plans name: a masquerade ADD asks for its chain and POSTROUTING, no other built-in", () => {
    const plans = masqIptablesAdd({ network: "net", containerId: CID, ifname: "eth0", addresses: ["10.1.0.5/24", "fd00::5/64"] });
    const chain = masqChainName("net", CID);
    expect(iptablesChainNames(plans, 4).sort()).toEqual([chain, "POSTROUTING"].sort());
    expect(iptablesChainNames(plans, 6).sort()).toEqual([chain, "POSTROUTING"].sort());
    expect(iptablesChainNames(plans.filter((p) => p.family === 4), 6)).toEqual([]);
    // A removal asks for the chain the layouts put the jumps to it in: POSTROUTING for a masquerade chain.
    const del = iptablesChainNames(masqIptablesDel({ network: "net", containerId: CID }), 4);
    expect(del.sort()).toEqual([chain, "POSTROUTING"].sort());
    const pmDel = iptablesChainNames(portmapIptablesDel({ network: "net", containerId: CID }), 4);
    const entries = ["PREROUTING", "OUTPUT", "POSTROUTING", "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-SNAT"];
    expect(pmDel.sort()).toEqual([portmapDnatChainName("net", CID), portmapLegacySnatChainName("net", CID), ...entries].sort());
    // portmap's entry jumps name PREROUTING and OUTPUT themselves.
    expect(iptablesChainNames([portmapIptablesAdd(portmapReq)], 4)).toEqual(expect.arrayContaining(["PREROUTING", "OUTPUT", "POSTROUTING", "CNI-HOSTPORT-DNAT", portmapDnatChainName("net", CID)]));
  });

  test("portmap ADD of a new pod reads the small shared chains and POSTROUTING, not CNI-HOSTPORT-DNAT; a re-ADD reads it", () => {
    const plan = portmapIptablesAdd(portmapReq);
    const dn = portmapDnatChainName("net", CID);
    const fresh = iptablesReadScope([plan], 4)(SHARED_CHAINS);
    expect(fresh).not.toContain(dn);
    expect(fresh).toContain("POSTROUTING");
    expect(fresh).toContain("CNI-HOSTPORT-SETMARK");
    expect(fresh).not.toContain("CNI-HOSTPORT-DNAT");
    expect(iptablesReadScope([plan], 4)(new Set([...SHARED_CHAINS, dn]))).toEqual(expect.arrayContaining(["CNI-HOSTPORT-DNAT", dn]));
    // On a fresh node the shared chains are created by the plan: nothing jumps to them yet.
    expect(iptablesReadScope([plan], 4)(new Set())).not.toContain("POSTROUTING");
  });

  test("DEL reads a removed chain and the chains the layouts jump to it from, and nothing for a chain that is not there", () => {
    const masq = masqChainName("net", CID);
    const dn = portmapDnatChainName("net", CID);
    const sn = portmapLegacySnatChainName("net", CID);
    const entries = ["PREROUTING", "OUTPUT", "POSTROUTING", "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-SNAT"];
    const masqDel = masqIptablesDel({ network: "net", containerId: CID });
    // A masquerade chain is jumped to from POSTROUTING alone (ownedJump), a DNAT chain from
    // CNI-HOSTPORT-DNAT alone; any other chain (the legacy SNAT chain) from any entry chain.
    expect(iptablesReadScope(masqDel, 4)(new Set([...SHARED_CHAINS, masq]))).toEqual([masq, "POSTROUTING"]);
    expect(iptablesReadScope(masqDel, 4)(SHARED_CHAINS)).toEqual([]);
    const pmDel = portmapIptablesDel({ network: "net", containerId: CID });
    expect(iptablesReadScope(pmDel, 4)(new Set([...SHARED_CHAINS, dn]))).toEqual([dn, "CNI-HOSTPORT-DNAT"]);
    expect(iptablesReadScope(pmDel, 4)(new Set([...SHARED_CHAINS, dn, sn]))).toEqual([dn, "CNI-HOSTPORT-DNAT", sn, ...entries.filter((c) => c !== "CNI-HOSTPORT-DNAT")]);
    // Of those, the entry chains are read only for the jumps to the chains removed.
    const jumps = iptablesJumpsOnly(masqDel, 4)(new Set([...SHARED_CHAINS, masq]));
    expect([...jumps]).toEqual([["POSTROUTING", [masq]]]);
    expect(iptablesJumpsOnly(masqDel, 4)(SHARED_CHAINS).size).toBe(0);
    const both = iptablesJumpsOnly(pmDel, 6)(new Set([...SHARED_CHAINS, dn, sn]));
    expect([...both.keys()].sort()).toEqual([...entries].sort());
    for (const c of entries) expect(both.get(c)).toEqual([dn, sn]);
    expect([...iptablesJumpsOnly(pmDel, 6)(new Set([...SHARED_CHAINS, dn]))]).toEqual([["CNI-HOSTPORT-DNAT", [dn]]]);
  });

  test("DEL: a chain removed that is also an entry chain, or an entry chain another op names, is read whole", () => {
    const masq = masqChainName("net", CID);
    const other = masqIptablesAdd({ network: "net", containerId: "other", ifname: "eth0", addresses: ["10.1.0.6/24"] })[0]?.ops ?? [];
    const mixed = [{ family: 4 as const, ops: [{ op: "remove-chain" as const, chain: masq }, { op: "remove-chain" as const, chain: "CNI-HOSTPORT-MASQ" }, ...other] }];
    const m = iptablesJumpsOnly(mixed, 4)(new Set([...SHARED_CHAINS, masq, masqChainName("net", "other")]));
    expect(m.has("CNI-HOSTPORT-MASQ")).toBe(false);
    expect(m.has("POSTROUTING")).toBe(false);
    expect(m.get("CNI-HOSTPORT-DNAT")).toEqual([masq, "CNI-HOSTPORT-MASQ"]);
  });

  test("nft: unique adds and comment deletes scope the read; a chain removal reads the whole table", () => {
    const t: NftTableRef = { family: "ip", table: "cni_hostport" };
    const other: NftTableRef = { family: "ip6", table: "cni_hostport" };
    const plan: NftPlan = {
      ops: [
        { op: "add-chain", ref: t, chain: "hostports" },
        { op: "add-rule", ref: t, chain: "prerouting", rule: { matches: [], verdict: { kind: "jump", chain: "hostports" } }, unique: true },
        { op: "add-rule", ref: t, chain: "hostports", rule: { matches: [], verdict: { kind: "accept" } } },
        { op: "delete-rules", ref: t, chains: ["hostports", "masquerading"], match: { prefix: "x" } },
        { op: "remove-chain", ref: other, chain: "gone" },
      ],
    };
    expect(nftReadScope(plan, t)?.sort()).toEqual(["hostports", "masquerading", "prerouting"]);
    expect(nftReadScope(plan, other)).toBeUndefined();
  });
});
