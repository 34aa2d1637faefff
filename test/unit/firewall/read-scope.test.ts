import { describe, expect, test } from "bun:test";
import { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd } from "../../../src/firewall/iptables-plans.ts";
import type { NftPlan, NftTableRef } from "../../../src/firewall/model.ts";
import { masqChainName, portmapDnatChainName } from "../../../src/firewall/names.ts";
import { iptablesReadScope, nftReadScope } from "../../../src/firewall/read-scope.ts";

const CID = "0123456789abcdef";

describe("read scope: the chains a call reads", () => {
  test("bridge ipMasq ADD reads its own chain and POSTROUTING, per family", () => {
    const plans = masqIptablesAdd({ network: "net", containerId: CID, ifname: "eth0", addresses: ["10.1.0.5/24", "fd00::5/64"] });
    const chain = masqChainName("net", CID);
    expect(iptablesReadScope(plans, 4).sort()).toEqual([chain, "POSTROUTING"].sort());
    expect(iptablesReadScope(plans, 6).sort()).toEqual([chain, "POSTROUTING"].sort());
    expect(iptablesReadScope(plans.filter((p) => p.family === 4), 6)).toEqual([]);
  });

  test("portmap ADD reads its chain and the shared entry chains, nothing of other containers", () => {
    const plan = portmapIptablesAdd({
      network: "net",
      containerId: CID,
      containerIp: "10.1.0.5/24",
      mappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
      snat: true,
      masqAll: false,
      markMasqBit: 13,
    });
    const scope = iptablesReadScope([plan], 4);
    expect(scope).toContain(portmapDnatChainName("net", CID));
    expect(scope).toContain("CNI-HOSTPORT-DNAT");
    expect(scope.filter((c) => c.startsWith("CNI-DN-"))).toEqual([portmapDnatChainName("net", CID)]);
  });

  test("DEL also reads every chain a per-container chain may be jumped to from", () => {
    const scope = iptablesReadScope(masqIptablesDel({ network: "net", containerId: CID }), 4);
    for (const c of ["PREROUTING", "OUTPUT", "POSTROUTING", "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"]) expect(scope).toContain(c);
    expect(scope).toContain(masqChainName("net", CID));
  });

  test("nft: unique adds and comment deletes scope the read; a chain removal reads the whole table", () => {
    const t: NftTableRef = { family: "ip", table: "cni_hostport" };
    const other: NftTableRef = { family: "ip6", table: "cni_hostport" };
    const plan: NftPlan = {
      ops: [
        { op: "add-chain", ref: t, chain: "hostports" },
        { op: "add-rule", ref: t, chain: "prerouting", expr: ["jump", "hostports"], unique: true },
        { op: "add-rule", ref: t, chain: "hostports", expr: ["accept"] },
        { op: "delete-rules", ref: t, chains: ["hostports", "masquerading"], match: { prefix: "x" } },
        { op: "remove-chain", ref: other, chain: "gone" },
      ],
    };
    expect(nftReadScope(plan, t)?.sort()).toEqual(["hostports", "masquerading", "prerouting"]);
    expect(nftReadScope(plan, other)).toBeUndefined();
  });
});
