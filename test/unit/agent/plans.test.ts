/**
 * The agent's pure decisions: which peer routes a cluster needs (and which peers are reported
 * instead), the masquerade plan's rules, and the conflist it writes (atomically, only on change,
 * never over someone else's file).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentConflist, writeConflist } from "../../../src/agent/conflist.ts";
import { nodeInfo } from "../../../src/agent/kube-types.ts";
import { nodeMasqIptablesAdd } from "../../../src/firewall/node-masq.ts";
import { planPeerRoutes, type Reach } from "../../../src/agent/peers.ts";
import { tempDir } from "../../harness.ts";

const node = (name: string, podCIDRs: string[], internalIPs: string[]) => ({ name, uid: name, podCIDRs, internalIPs, rejected: [] });
/** A Node as the API server sends it. */
const apiNode = (name: string, podCIDRs: string[], internalIPs: string[]) =>
  nodeInfo({ metadata: { name, uid: name }, spec: { podCIDRs }, status: { addresses: internalIPs.map((address) => ({ type: "InternalIP", address })) } });

describe("peer routes", () => {
  const reach = (ip: string): Reach => (ip.startsWith("10.99.") ? { kind: "gateway", gw: "192.168.1.254" } : ip === "192.168.9.9" ? { kind: "none", why: "network is unreachable" } : { kind: "link" });

  test("one route per peer pod CIDR via the InternalIP of its family; self skipped; the rest reported with why", () => {
    const plan = planPeerRoutes(
      [
        node("self", ["10.244.0.0/24"], ["192.168.1.1"]),
        node("dual", ["10.244.1.0/24", "fd00:1::/64"], ["192.168.1.2", "fd50::2"]),
        node("v4only-ip", ["fd00:2::/64"], ["192.168.1.3"]),
        node("behind-router", ["10.244.3.0/24"], ["10.99.0.3"]),
        node("lost", ["10.244.4.0/24"], ["192.168.9.9"]),
        node("no-cidr", [], ["192.168.1.5"]),
        node("twin", ["10.244.1.0/24"], ["192.168.1.6"]),
      ],
      "self",
      reach,
    );
    expect(plan.routes).toEqual([
      { node: "dual", dst: "10.244.1.0/24", gw: "192.168.1.2" },
      { node: "dual", dst: "fd00:1::/64", gw: "fd50::2" },
    ]);
    expect(plan.unreachable.map((u) => u.node)).toEqual(["v4only-ip", "behind-router", "lost", "twin"]);
    expect(plan.unreachable[3]?.reason).toContain("also node dual's");
    expect(plan.unreachable[0]?.reason).toContain("no IPv6 InternalIP");
    expect(plan.unreachable[1]?.reason).toContain("via 192.168.1.254");
    expect(plan.unreachable[2]?.reason).toContain("network is unreachable");
  });

  test("nodeInfo reads podCIDRs, falls back to the single podCIDR, keeps only InternalIPs", () => {
    const n = nodeInfo({ metadata: { name: "n", uid: "u" }, spec: { podCIDR: "10.1.0.0/24" }, status: { addresses: [{ type: "Hostname", address: "n" }, { type: "InternalIP", address: "192.168.1.9" }, { type: "ExternalIP", address: "1.2.3.4" }] } });
    expect(n).toEqual({ name: "n", uid: "u", podCIDRs: ["10.1.0.0/24"], internalIPs: ["192.168.1.9"], rejected: [] });
    expect(nodeInfo({ metadata: { name: "n" } }).podCIDRs).toEqual([]);
  });

  test("a Node's podCIDRs and InternalIPs are input: only parsed values, in canonical form, reach a plan", () => {
    const evil = "10.0.0.0/8\n-A INPUT -j ACCEPT";
    const n = apiNode("n", ["10.244.1.5/24", "FD00:0000:0000:0001::/64", evil], ["192.168.1.2 -j ACCEPT", "FD50::0002", "192.168.1.2"]);
    expect(n.podCIDRs).toEqual(["10.244.1.0/24", "fd00:0:0:1::/64"]);
    expect(n.internalIPs).toEqual(["fd50::2", "192.168.1.2"]);
    expect(n.rejected).toEqual([
      { field: "podCIDR", value: evil },
      { field: "InternalIP", value: "192.168.1.2 -j ACCEPT" },
    ]);
    const plan = planPeerRoutes([apiNode("self", ["10.244.0.0/24"], ["192.168.1.1"]), n], "self", () => ({ kind: "link" }));
    expect(plan.routes).toEqual([
      { node: "n", dst: "10.244.1.0/24", gw: "192.168.1.2" },
      { node: "n", dst: "fd00:0:0:1::/64", gw: "fd50::2" },
    ]);
    expect(plan.unreachable.map((u) => u.reason)).toEqual([
      `its podCIDR ${JSON.stringify(evil)} is not a CIDR; it is not used`,
      'its InternalIP "192.168.1.2 -j ACCEPT" is not an IP address; it is not used',
    ]);
  });
});

describe("masquerade plan", () => {
  test("per family: RETURN for every cluster pod CIDR, then MASQUERADE; jumps only from local pod CIDRs", () => {
    const plans = nodeMasqIptablesAdd({ local: ["10.244.1.0/24", "fd00:1::/64"], cluster: ["10.244.2.0/24", "10.244.1.0/24", "fd00:1::/64", "10.244.2.0/24"] });
    expect(plans.map((p) => p.family)).toEqual([4, 6]);
    expect(plans[0]?.ops).toEqual([
      {
        op: "sync-chain",
        chain: "TSCNI-AGENT-MASQ",
        rules: [
          { dst: { cidr: "10.244.1.0/24" }, matches: [], verdict: { kind: "return" } },
          { dst: { cidr: "10.244.2.0/24" }, matches: [], verdict: { kind: "return" } },
          { dst: { cidr: "224.0.0.0/4", not: true }, matches: [], verdict: { kind: "masquerade" } },
        ],
      },
      { op: "sync-jumps", chain: "POSTROUTING", target: "TSCNI-AGENT-MASQ", rules: [{ src: { cidr: "10.244.1.0/24" }, matches: [], verdict: { kind: "jump", chain: "TSCNI-AGENT-MASQ" } }] },
    ]);
    expect(nodeMasqIptablesAdd({ local: ["10.244.1.0/24"], cluster: [] }).map((p) => p.family)).toEqual([4]);
  });
});

describe("conflist", () => {
  test("loopback, bridge with host-local over the pod CIDRs, portmap; masquerade and log as asked", () => {
    const c = JSON.parse(agentConflist({ confDir: "", podCIDRs: ["10.244.1.0/24", "fd00:1::/64"], bridgeMasq: false, logCalls: true, dataDir: "/d" })) as { plugins: Record<string, unknown>[] };
    expect(c.plugins.map((p) => p.type)).toEqual(["loopback", "bridge", "portmap"]);
    expect(c.plugins[1]?.ipMasq).toBe(false);
    expect(c.plugins.every((p) => p.log === true)).toBe(true);
    expect(c.plugins[1]?.ipam).toMatchObject({ dataDir: "/d", ranges: [[{ subnet: "10.244.1.0/24" }], [{ subnet: "fd00:1::/64" }]] });
  });

  test("written once, kept when unchanged (same inode), rewritten on change, never over a foreign file", () => {
    using dir = tempDir("tscni-agent-conf-");
    const o = { confDir: dir.path, podCIDRs: ["10.244.1.0/24"], bridgeMasq: false, logCalls: false };
    expect(writeConflist(o).action).toBe("write");
    const file = join(dir.path, "10-tscni.conflist");
    const ino = statSync(file).ino;
    expect(writeConflist(o).action).toBe("keep");
    expect(statSync(file).ino).toBe(ino);
    expect(writeConflist({ ...o, podCIDRs: ["10.244.2.0/24"] }).action).toBe("rewrite");
    expect(readFileSync(file, "utf8")).toContain("10.244.2.0/24");
    expect(readdirSync(dir.path)).toEqual(["10-tscni.conflist"]);
    writeFileSync(file, '{"name":"mine"}');
    const r = writeConflist(o);
    expect(r.action).toBe("refused");
    expect(readFileSync(file, "utf8")).toBe('{"name":"mine"}');
  });
});
