/**
 * The in-process writer's planning, against the ruleset an in-memory kernel holds after its own
 * first batch (test/fixtures/firewall/fake-xt-kernel.ts): a repeated ADD sends nothing,
 * a changed one replaces only what changed, and DEL removes every rule that jumps to the chain,
 * then the chain. What a real kernel does with the batch is test/netns/firewall-xt.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd, portmapIptablesDel } from "../../../src/firewall/iptables-plans.ts";
import type { IptablesPlan } from "../../../src/firewall/model.ts";
import { xtRequests } from "../../../src/firewall/xt-write.ts";
import type { Request } from "../../../src/netlink/message.ts";
import { NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE } from "../../../src/netlink/nft/constants.ts";
import { newRuleRequest, nftType } from "../../../src/netlink/nft/messages.ts";
import { NAT_BUILTINS, xtBaseChainRequest, xtTableRequest, xtUserChainRequest } from "../../../src/netlink/nft/xt-messages.ts";
import type { Ruleset } from "../../../src/netlink/nft/session.ts";
import { FakeXtKernel } from "../../fixtures/firewall/fake-xt-kernel.ts";

const EMPTY: Ruleset = { genId: 1, tables: [], chains: [], rules: [] };

/** The ruleset a kernel holds after committing `reqs` on top of `rs` (the fake refuses what nf_tables refuses). */
function after(rs: Ruleset, reqs: readonly Request[]): Ruleset {
  const k = new FakeXtKernel();
  expect(k.commit(xtRequestsFor(rs), k.generation)).toBe(true);
  expect(k.commit(reqs, k.generation)).toBe(true);
  return k.read();
}

/** Rebuilds `rs` in a fresh fake kernel: its tables, chains and rules as creation messages. */
function xtRequestsFor(rs: Ruleset): Request[] {
  return [
    ...rs.tables.map((t) => xtTableRequest(t.family, t.name)),
    ...rs.chains.map((c) => (c.name in NAT_BUILTINS ? xtBaseChainRequest(c.family, c.table, c.name) : xtUserChainRequest(c.family, c.table, c.name))),
    ...rs.rules.map((r) => newRuleRequest(r.family, r.table, r.chain, r.exprs)),
  ];
}

const count = (reqs: readonly Request[], msg: number): number => reqs.filter((r) => r.type === nftType(msg)).length;

const mappings = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 53, containerPort: 53, protocol: "udp", hostIP: "192.168.1.5" },
];
const masq = masqIptablesAdd({ network: "n", containerId: "c1", ifname: "eth0", addresses: ["10.88.0.5/16", "fd00::5/64"] });
const portmap = (id: string, ip: string): IptablesPlan => portmapIptablesAdd({ network: "n", containerId: id, containerIp: ip, mappings, snat: true, masqAll: false, markMasqBit: 13 });

describe("xtRequests", () => {
  test("a repeated ADD sends nothing (MASQUERADE and MARK rules too)", () => {
    const plans = [...masq, portmap("c1", "10.88.0.5/16"), portmap("c1", "fd00::5/64")];
    const first = xtRequests(plans, EMPTY) ?? [];
    expect(count(first, NFT_MSG_NEWRULE)).toBeGreaterThan(10);
    expect(xtRequests(plans, after(EMPTY, first))).toEqual([]);
  });

  test("a second container adds only its chain, its rules and its entry rules", () => {
    const one = after(EMPTY, xtRequests([portmap("c1", "10.88.0.5/16")], EMPTY) ?? []);
    const second = xtRequests([portmap("c2", "10.88.0.6/16")], one) ?? [];
    expect(count(second, NFT_MSG_NEWCHAIN)).toBe(1);
    // Per mapping (IPv4, SNAT): SETMARK from the network, SETMARK from 127.0.0.1, DNAT; one entry rule per protocol.
    expect(count(second, NFT_MSG_NEWRULE)).toBe(3 + 3 + 2);
  });

  test("DEL: every rule jumping to the chain by handle, then flush and delete; nothing when absent", () => {
    const rs = after(EMPTY, xtRequests([...masq, portmap("c1", "10.88.0.5/16")], EMPTY) ?? []);
    const del = xtRequests([...masqIptablesDel({ network: "n", containerId: "c1" }), ...portmapIptablesDel({ network: "n", containerId: "c1" })], rs) ?? [];
    // v4: masq jump + 2 entry rules by handle, 2 chains flushed (DELRULE without handle) and deleted; v6: masq jump, 1 chain.
    expect(count(del, NFT_MSG_DELCHAIN)).toBe(3);
    expect(count(del, NFT_MSG_DELRULE)).toBe(3 + 1 + 3);
    expect(xtRequests(portmapIptablesDel({ network: "n", containerId: "gone" }), rs)).toEqual([]);
  });

  test("a jump to a chain the table does not have is refused before any message, naming the chain and family", () => {
    const marked = (ip: string): IptablesPlan => portmapIptablesAdd({ network: "n", containerId: "c1", containerIp: ip, mappings, snat: true, masqAll: false, markMasqBit: 13, externalSetMarkChain: "KUBE-MARK-MASQ" });
    expect(() => xtRequests([marked("10.88.0.5/16")], EMPTY)).toThrow("iptables nat: Chain 'KUBE-MARK-MASQ' does not exist");
    expect(() => xtRequests([marked("fd00::5/64")], EMPTY)).toThrow("ip6tables nat: Chain 'KUBE-MARK-MASQ' does not exist");
    // Once the table has it (kube-proxy made it), the same plan is written.
    const withChain = after(EMPTY, [xtTableRequest(2, "nat"), xtUserChainRequest(2, "nat", "KUBE-MARK-MASQ")]);
    expect(count(xtRequests([marked("10.88.0.5/16")], withChain) ?? [], NFT_MSG_NEWRULE)).toBeGreaterThan(0);
  });

  test("a plan with user conditions is not expressible (the caller runs iptables-restore)", () => {
    const plan = portmapIptablesAdd({ network: "n", containerId: "c1", containerIp: "10.88.0.5/16", mappings, snat: true, masqAll: false, markMasqBit: 13, conditions: ["-i", "eth0"] });
    expect(xtRequests([plan], EMPTY)).toBeUndefined();
  });
});
