/**
 * Kubernetes Events about Nodes (what `kubectl describe node` shows): once per node and reason
 * while the agent runs, so a peer it cannot route is seen by the operator, not only in a log.
 */
import type { KubeClient } from "./kube-client.ts";
import type { NodeInfo } from "./kube-types.ts";

export class NodeEvents {
  readonly #sent = new Set<string>();

  constructor(
    private readonly client: KubeClient,
    private readonly reporter: string,
    private readonly log: (line: string) => void,
  ) {}

  async warn(about: NodeInfo | { name: string; uid: string }, reason: string, message: string): Promise<void> {
    const key = `${about.name}\0${reason}\0${message}`;
    if (this.#sent.has(key)) return;
    this.#sent.add(key);
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: `${about.name}.tscni-`, namespace: "default" },
      involvedObject: { apiVersion: "v1", kind: "Node", name: about.name, uid: about.uid },
      reason,
      message,
      type: "Warning",
      source: { component: "tscni-agent", host: this.reporter },
      reportingComponent: "tscni-agent",
      reportingInstance: this.reporter,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.client.postJson("/api/v1/namespaces/default/events", event);
    } catch (e) {
      // Reported again on the next change: the condition is still in the log and the status file.
      this.#sent.delete(key);
      this.log(`event ${reason} for node ${about.name} not created: ${(e as Error).message}`);
    }
  }
}
