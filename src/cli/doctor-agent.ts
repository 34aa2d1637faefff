/**
 * What the node agent (`tscni agent`) last reported, from its status file: why the node has no
 * network config yet, peers whose pod CIDRs it cannot route, masquerade or route failures.
 * Nothing when no agent runs on this node.
 */
import { existsSync } from "node:fs";
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
  for (const u of s.unreachable) checks.push(warning("agent-peer-unreachable", `peer node ${u.node}: ${u.reason}${asOf}`, "put the nodes on one L2 network or use an overlay CNI; tscni routes only directly connected peers"));
  for (const p of s.problems) checks.push(warning("agent-problem", `${p}${asOf}`, logs));
  return checks;
}
