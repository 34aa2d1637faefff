/**
 * The agent's whole Kubernetes client: list and watch Nodes, create an Event. Bun's fetch over TLS
 * with the cluster's CA (no system roots: the API server's certificate must chain to that CA).
 */
import { type KubeConfig, readToken } from "./kube-config.ts";
import { parseWatchLine, type WatchEvent } from "./kube-types.ts";

/** An HTTP status other than 2xx; `code` 410 means "re-list". */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const REQUEST_MS = 15_000;

export class KubeClient {
  constructor(readonly config: KubeConfig) {}

  async #fetch(path: string, init: { method?: string; body?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${readToken(this.config.tokenFile)}`, Accept: "application/json" };
    if (init.body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(`${this.config.server}${path}`, {
      method: init.method ?? "GET",
      headers,
      body: init.body,
      signal: init.signal ?? AbortSignal.timeout(REQUEST_MS),
      // Explicit: NODE_TLS_REJECT_UNAUTHORIZED=0 in the pod's environment would otherwise turn
      // verification off and hand the service account token to whoever answers.
      tls: { ca: this.config.ca, rejectUnauthorized: true },
    });
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      let message = text.slice(0, 300);
      try {
        const m = (JSON.parse(text) as { message?: unknown }).message;
        if (typeof m === "string") message = m;
      } catch {
        // not a Status object: keep the raw text
      }
      throw new KubeError(res.status, `${init.method ?? "GET"} ${path}: HTTP ${res.status} ${message}`);
    }
    return res;
  }

  async getJson(path: string): Promise<Record<string, unknown>> {
    return (await (await this.#fetch(path)).json()) as Record<string, unknown>;
  }

  async postJson(path: string, body: unknown): Promise<void> {
    await (await this.#fetch(path, { method: "POST", body: JSON.stringify(body) })).arrayBuffer();
  }

  /**
   * A watch from `resourceVersion`: yields events until the server ends the stream (its timeout, a
   * dropped connection) or `signal` aborts. Bookmarks are asked for so a quiet watch still moves on.
   */
  async *watch(path: string, resourceVersion: string, timeoutSeconds: number, signal: AbortSignal): AsyncGenerator<WatchEvent> {
    const q = `watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=${timeoutSeconds}`;
    // A connection that dies without a FIN would otherwise hang the watch: the server ends it at
    // timeoutSeconds, so one that outlives that by a margin is given up and resumed.
    const res = await this.#fetch(`${path}?${q}`, { signal: AbortSignal.any([signal, AbortSignal.timeout((timeoutSeconds + 30) * 1000)]) });
    const body = res.body;
    if (body === null) return;
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of body) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line === "") continue;
        const event = parseWatchLine(line);
        if (event !== undefined) yield event;
      }
    }
  }
}
