/**
 * Keeps an up-to-date map of the cluster's Nodes, the way client-go's reflector does: list (and
 * remember its resourceVersion), then watch from there; a watch that ends is resumed from the last
 * version seen; 410 Gone (as an HTTP status or a watch ERROR event) means that version is too old,
 * so it lists again. Failures back off exponentially (capped) and are reported, never fatal.
 */
import { KubeError, type KubeClient } from "./kube-client.ts";
import { nodeInfo, type NodeInfo, resourceVersionOf, statusCode } from "./kube-types.ts";

export interface InformerOptions {
  client: KubeClient;
  /** Called after every change of the map (and after each full list). */
  onChange: (nodes: ReadonlyMap<string, NodeInfo>) => void;
  log: (line: string) => void;
  /** Called when listing or watching fails (the informer retries by itself). */
  onError?: (message: string) => void;
  /** Server-side watch timeout; the watch is then resumed. */
  watchSeconds?: number;
  backoffMs?: { first: number; max: number };
}

const NODES = "/api/v1/nodes";

class Gone extends Error {}

export class NodeInformer {
  readonly nodes = new Map<string, NodeInfo>();
  resourceVersion = "";
  /** How many full lists were made (1 + one per 410 or failure that forced it). */
  lists = 0;
  #abort = new AbortController();

  constructor(private readonly o: InformerOptions) {}

  stop(): void {
    this.#abort.abort();
  }

  async #list(): Promise<void> {
    const list = await this.o.client.getJson(NODES);
    const items = Array.isArray(list.items) ? (list.items as unknown[]) : [];
    this.nodes.clear();
    for (const item of items) {
      const n = nodeInfo(item);
      if (n.name !== "") this.nodes.set(n.name, n);
    }
    this.resourceVersion = resourceVersionOf(list);
    this.lists++;
    this.o.log(`listed ${this.nodes.size} nodes at resourceVersion ${this.resourceVersion}`);
    this.o.onChange(this.nodes);
  }

  /** Returns how many events (bookmarks too) the watch carried. */
  async #watch(): Promise<number> {
    const signal = this.#abort.signal;
    let seen = 0;
    for await (const e of this.o.client.watch(NODES, this.resourceVersion, this.o.watchSeconds ?? 300, signal)) {
      seen++;
      if (e.type === "ERROR") {
        if (statusCode(e.object) === 410) throw new Gone();
        throw new Error(`watch error: ${JSON.stringify(e.object).slice(0, 200)}`);
      }
      const rv = resourceVersionOf(e.object);
      if (rv !== "") this.resourceVersion = rv;
      if (e.type === "BOOKMARK") continue;
      const n = nodeInfo(e.object);
      if (n.name === "") continue;
      if (e.type === "DELETED") this.nodes.delete(n.name);
      else this.nodes.set(n.name, n);
      this.o.onChange(this.nodes);
    }
    return seen;
  }

  /** Runs until stop(). */
  async run(): Promise<void> {
    const { first, max } = this.o.backoffMs ?? { first: 500, max: 30_000 };
    let delay = first;
    let needList = true;
    while (!this.#abort.signal.aborted) {
      let watchedSince = 0;
      try {
        if (needList) await this.#list();
        needList = false;
        watchedSince = performance.now();
        const seen = await this.#watch();
        // A watch closed at once with nothing in it (a proxy or a stopping API server answering
        // 200 and hanging up) would be reopened in a tight loop: it backs off like a failure.
        if (seen === 0 && performance.now() - watchedSince < 1000) throw new Error("the watch was closed at once, with no events");
        // The server ended the watch (its timeout): resume from the last version at once.
        delay = first;
        continue;
      } catch (e) {
        if (this.#abort.signal.aborted) return;
        if (e instanceof Gone || (e instanceof KubeError && e.code === 410)) {
          this.o.log(`resourceVersion ${this.resourceVersion} is gone (410): listing again`);
          needList = true;
          continue;
        }
        // A failed list is retried as a list; a dropped watch resumes from the last version seen.
        this.o.log(`${needList ? "node list" : "node watch"}: ${(e as Error).message}; retrying in ${delay} ms`);
        this.o.onError?.((e as Error).message);
        // A watch that ran a while was healthy: this is a new failure, not the same one again.
        if (watchedSince > 0 && performance.now() - watchedSince > 10_000) delay = first;
      }
      await sleep(delay, this.#abort.signal);
      delay = Math.min(max, delay * 2);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
