/**
 * doctor's advice for a peer the agent cannot route follows what keeps it unrouted: a bad
 * podCIDR or InternalIP value is fixed on that Node (not by changing the network layout), a pod
 * CIDR two Nodes claim by re-registering one; only a peer off the directly connected network
 * gets the layout advice. A status file from an agent that did not record the cause keeps the
 * layout advice. The causes come from the agent's own planner, not written by hand.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { nodeInfo } from "../../../src/agent/kube-types.ts";
import { planPeerRoutes, type Reach } from "../../../src/agent/peers.ts";
import { type AgentStatus, writeStatus } from "../../../src/agent/status.ts";
import { agentChecks } from "../../../src/cli/doctor-agent.ts";
import { tempDir } from "../../harness.ts";

const node = (name: string, podCIDRs: string[], ips: string[]) =>
  nodeInfo({ metadata: { name, uid: name }, spec: { podCIDRs }, status: { addresses: ips.map((address) => ({ type: "InternalIP", address })) } });

const reach = (ip: string): Reach => (ip === "192.168.9.9" ? { kind: "gateway", gw: "192.168.1.254" } : ip === "192.168.8.8" ? { kind: "none", why: "network is unreachable" } : { kind: "link" });

function adviceFor(nodes: ReturnType<typeof node>[]): Map<string, string[]> {
  using dir = tempDir("tscni-doctor-peers-");
  const file = join(dir.path, "status.json");
  const plan = planPeerRoutes(nodes, "self", reach);
  const status: AgentStatus = { time: "t", node: "self", phase: "ready", message: "m", podCIDRs: [], routed: plan.routes, unreachable: plan.unreachable, problems: [] };
  writeStatus(file, status);
  const out = new Map<string, string[]>();
  for (const c of agentChecks({ TSCNI_AGENT_STATUS: file }).filter((k) => k.id === "agent-peer-unreachable")) {
    const peer = /peer node (\S+):/.exec(c.detail)?.[1] ?? "";
    out.set(peer, [...(out.get(peer) ?? []), c.fix]);
  }
  return out;
}

describe("doctor: advice per unrouted peer", () => {
  const advice = adviceFor([
    node("badcidr", ["10.244.300.0/24"], ["192.168.1.2"]),
    node("badip", ["10.244.3.0/24"], ["192.168.1.999"]),
    node("v4only", ["10.244.4.0/24", "fd00:4::/64"], ["192.168.1.4"]),
    node("first", ["10.244.5.0/24"], ["192.168.1.5"]),
    node("second", ["10.244.5.0/24"], ["192.168.1.6"]),
    node("far", ["10.244.7.0/24"], ["192.168.9.9"]),
    node("noroute", ["10.244.8.0/24"], ["192.168.8.8"]),
  ]);
  const layout = /one L2 network or use an overlay/;

  test("a bad podCIDR: re-register that Node, not the network layout", () => {
    expect(advice.get("badcidr")?.join("\n")).toMatch(/kubectl delete node badcidr/);
    expect(advice.get("badcidr")?.join("\n")).not.toMatch(layout);
  });
  test("a bad or missing InternalIP: the kubelet's --node-ip on that node", () => {
    for (const n of ["badip", "v4only"]) {
      expect(advice.get(n)?.join("\n")).toMatch(/--node-ip/);
      expect(advice.get(n)?.join("\n")).not.toMatch(layout);
    }
  });
  test("a pod CIDR two Nodes claim: find the hand-set one", () => {
    expect(advice.get("first")).toBeUndefined();
    expect(advice.get("second")?.join("\n")).toMatch(/two Nodes claim one pod CIDR/);
  });
  test("off the directly connected network: the layout; no route at all: this node's routes", () => {
    expect(advice.get("far")?.join("\n")).toMatch(layout);
    expect(advice.get("noroute")?.join("\n")).toMatch(/ip route get/);
  });
  test("a status file without the cause keeps the layout advice", () => {
    using dir = tempDir("tscni-doctor-peers-");
    const file = join(dir.path, "status.json");
    writeStatus(file, { time: "t", node: "self", phase: "ready", message: "m", podCIDRs: [], routed: [], unreachable: [{ node: "old", reason: "r" }], problems: [] });
    expect(agentChecks({ TSCNI_AGENT_STATUS: file }).find((k) => k.id === "agent-peer-unreachable")?.fix).toMatch(layout);
  });
});
