/**
 * What the node agent (`tscni agent`) last reported, from its status file: why the node has no
 * network config yet, peers whose pod CIDRs it cannot route, masquerade or route failures.
 * Nothing when no agent runs on this node.
 */
import { existsSync } from "node:fs";
import type { Unreachable } from "../agent/peers.ts";
import { DEFAULT_STATUS_FILE, readStatus } from "../agent/status.ts";
import { type Check, error, ok, warning } from "./doctor-check.ts";
import type { Env } from "./options.ts";

export const agentStatusFile = (env: Env): string => env.TSCNI_AGENT_STATUS ?? DEFAULT_STATUS_FILE;

export function agentChecks(env: Env): Check[] {
  const file = agentStatusFile(env);
  if (!existsSync(file)) return [];
  const s = readStatus(file);
  if (s === undefined) return [warning("agent", `${file} cannot be read`, "kubectl -n kube-system logs ds/tscni -c agent")];
  const logs = "kubectl -n kube-system logs ds/tscni -c agent";
  const asOf = ` (agent status of ${s.time})`;
  const checks: Check[] = [];
  if (s.phase === "ready") checks.push(ok("agent", `${s.message}${asOf}`));
  else if (s.phase === "no-pod-cidr") checks.push(error("agent-pod-cidr", `${s.message}${asOf}`, "kubeadm init --pod-network-cidr=10.244.0.0/16 (or kube-controller-manager --allocate-node-cidrs --cluster-cidr)"));
  else checks.push(error("agent", `${s.phase}: ${s.message}${asOf}`, logs));
  for (const u of s.unreachable) checks.push(warning("agent-peer-unreachable", `peer node ${u.node}: ${u.reason}${asOf}`, peerAdvice(u)));
  for (const p of s.problems) checks.push(warning("agent-problem", `${p}${asOf}`, logs));
  return checks;
}

const TOPOLOGY = "put the nodes on one L2 network or use an overlay CNI; tscni routes only directly connected peers";

/** The remedy for one unrouted peer, by what keeps it unrouted (the network layout only when it is that). */
function peerAdvice(u: Unreachable): string {
  const node = u.node;
  switch (u.cause) {
    case "bad-pod-cidr":
      return `node ${node}'s spec.podCIDRs cannot change once set: re-register it (kubectl delete node ${node}, restart its kubelet) so kube-controller-manager allocates a valid one, or fix whoever wrote the Node object`;
    case "bad-internal-ip":
    case "no-internal-ip":
      return `the kubelet on ${node} reports its InternalIPs: set its --node-ip (both families on a dual-stack cluster; or fix the cloud provider's addresses) and restart it; check with kubectl get node ${node} -o jsonpath='{.status.addresses}'`;
    case "shared-pod-cidr":
      return `two Nodes claim one pod CIDR, which kube-controller-manager never allocates: find the Node whose spec.podCIDRs was set by hand (kubectl get nodes -o custom-columns=NAME:.metadata.name,CIDRS:.spec.podCIDRs) and re-register it`;
    case "no-route":
      return `this node has no route to ${node}'s InternalIP: check this node's addresses and routes (ip route get <InternalIP>) and that ${node}'s InternalIP is the address on the nodes' network`;
    default:
      return TOPOLOGY;
  }
}
