/**
 * One reconcile of the node from the cluster's Nodes: this node's pod CIDRs → the conflist, the
 * peers' pod CIDRs → routes, every pod CIDR → the masquerade's exceptions; what cannot be done is
 * said in the log, the status file (tscni doctor) and, for peers, a Kubernetes Event.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CONFLIST } from "../cli/default-conflist.ts";
import { writeConflist } from "./conflist.ts";
import type { NodeEvents } from "./events.ts";
import { type NodeInfo, rejectedReason } from "./kube-types.ts";
import { AGENT_NFT_TABLE, canMasquerade, NO_NFTABLES, syncMasquerade } from "./masquerade.ts";
import type { AgentOptions } from "./options.ts";
import { planPeerRoutes } from "./peers.ts";
import { reachOf, Rtnl, syncRoutes } from "./routes.ts";
import { type AgentStatus, type Phase, writeStatus } from "./status.ts";

export class NodeReconciler {
  status: AgentStatus;
  #lastMessage = "";
  #lastMasq = "";
  /**
   * Who masquerades: the agent through the iptables tool, the agent over nf_tables netlink (no
   * tool: the DaemonSet's image), or — on a kernel without nf_tables and no tool — the bridge per
   * pod. undefined: not known until the first nf_tables write says whether the kernel speaks it.
   */
  #masqBy: "iptables" | "nft" | "bridge" | "nobody" | undefined;
  #fallbackNote = "";

  constructor(
    private readonly o: AgentOptions,
    private readonly events: NodeEvents | undefined,
  ) {
    this.#masqBy = !o.masquerade ? "nobody" : canMasquerade() ? "iptables" : undefined;
    this.status = { time: new Date().toISOString(), node: o.node, phase: "starting", message: "starting", podCIDRs: [], routed: [], unreachable: [], problems: [] };
    this.save();
  }

  save(): void {
    this.status.time = new Date().toISOString();
    writeStatus(this.o.statusFile, this.status);
  }

  /** Sets the phase and says it (once per change) in the log and the status file. */
  say(phase: Phase, message: string): void {
    this.status.phase = phase;
    this.status.message = message;
    if (message !== this.#lastMessage) this.o.log(message);
    this.#lastMessage = message;
    this.save();
  }

  async reconcile(nodes: ReadonlyMap<string, NodeInfo>): Promise<void> {
    let self = nodes.get(this.o.node);
    const problems: string[] = [];
    if (self === undefined) {
      this.say("no-node", `node ${JSON.stringify(this.o.node)} is not among the cluster's ${nodes.size} Nodes: no network config is written (is NODE_NAME right?)`);
      return;
    }
    if (this.o.podCIDRs.length > 0) self = { ...self, podCIDRs: this.o.podCIDRs, rejected: [] };
    const bad = self.rejected.filter((r) => r.field === "podCIDR");
    if (bad.length > 0) {
      // Half of a dual-stack range is not a network to write: the operator must see it.
      this.say("refused", `node ${self.name}: ${bad.map(rejectedReason).join("; ")}; no network config is written`);
      return;
    }
    this.status.podCIDRs = self.podCIDRs;
    if (self.podCIDRs.length === 0) {
      this.say(
        "no-pod-cidr",
        `node ${self.name} has no spec.podCIDRs yet, so no network config is written and the node stays NotReady: ` +
          "kube-controller-manager allocates them only with --allocate-node-cidrs and --cluster-cidr (kubeadm init --pod-network-cidr)",
      );
      return;
    }
    // Before the conflist: whether the bridge must masquerade is known only once nf_tables answered.
    if (this.#masqBy !== "nobody" && this.#masqBy !== "bridge") await this.#masquerade(nodes, self, problems);
    const conf = writeConflist({ confDir: this.o.confDir, podCIDRs: self.podCIDRs, dataDir: this.o.dataDir, bridgeMasq: this.#masqBy === "bridge", logCalls: this.o.logCalls });
    if (conf.action === "refused") {
      this.say("refused", conf.why);
      return;
    }
    if (conf.action !== "keep") this.o.log(`${conf.action} ${conf.path} for ${self.podCIDRs.join(", ")}`);
    this.status.conflist = conf.path;
    this.#routes(nodes, problems);
    if (this.#fallbackNote !== "") problems.push(this.#fallbackNote);
    this.status.problems = problems;
    this.say("ready", `node ${self.name}: ${conf.path} serves ${self.podCIDRs.join(", ")}; ${this.status.routed.length} peer pod CIDRs routed, ${this.status.unreachable.length} not reachable directly`);
  }

  #routes(nodes: ReadonlyMap<string, NodeInfo>, problems: string[]): void {
    using nl = Rtnl.open();
    const plan = planPeerRoutes(nodes.values(), this.o.node, (ip) => reachOf(nl, ip));
    try {
      for (const c of syncRoutes(nl, plan.routes)) {
        if (c.action === "skip") problems.push(`route ${c.dst} via ${c.gw} not added: ${c.detail ?? ""}`);
        else this.o.log(`${c.action === "add" ? "route add" : "route remove"} ${c.dst} via ${c.gw}`);
      }
    } catch (e) {
      problems.push(`routes: ${(e as Error).message}`);
    }
    this.status.routed = plan.routes;
    const before = new Set(this.status.unreachable.map((u) => `${u.node}\0${u.reason}`));
    this.status.unreachable = plan.unreachable;
    for (const u of plan.unreachable) {
      if (!before.has(`${u.node}\0${u.reason}`)) this.o.log(`peer ${u.node}: ${u.reason}`);
      const peer = nodes.get(u.node);
      if (peer !== undefined) void this.events?.warn(peer, "PodCIDRNotRouted", `tscni on ${this.o.node}: ${u.reason}`);
    }
  }

  async #masquerade(nodes: ReadonlyMap<string, NodeInfo>, self: NodeInfo, problems: string[]): Promise<void> {
    const cluster = this.o.clusterCIDRs.length > 0 ? this.o.clusterCIDRs : [...nodes.values()].flatMap((n) => n.podCIDRs);
    const want = { local: self.podCIDRs, cluster };
    const key = JSON.stringify(want);
    const failed = await syncMasquerade(want, this.#masqBy === "iptables" ? "iptables" : "nftables").catch((e: unknown) => [`masquerade: ${(e as Error).message}`]);
    if (this.#masqBy === undefined) {
      if (failed.length > 0 && failed.every((f) => NO_NFTABLES.test(f))) {
        this.#masqBy = "bridge";
        this.#fallbackNote = "no iptables tool in the agent's PATH and no nf_tables in the kernel: the bridge masquerades per pod instead (pod traffic to other nodes' pods leaves with this node's address)";
        this.o.log(this.#fallbackNote);
        return;
      }
      if (failed.length === 0) {
        this.#masqBy = "nft";
        this.o.log(`no iptables tool in the agent's PATH: masquerading over nf_tables netlink (table inet ${AGENT_NFT_TABLE.table})`);
      }
    }
    if (failed.length === 0 && key !== this.#lastMasq) this.o.log(`masquerade from ${self.podCIDRs.join(", ")} to outside ${[...new Set(cluster)].join(", ")}`);
    this.#lastMasq = failed.length === 0 ? key : "";
    for (const f of failed) this.o.log(f);
    problems.push(...failed);
  }

  /** True once the node has a network config (gc needs one to judge anything stale). */
  hasConflist(): boolean {
    return existsSync(join(this.o.confDir, DEFAULT_CONFLIST));
  }
}
