/**
 * A fake Kubernetes API server for Nodes and Events: real HTTP over TLS, list with a
 * resourceVersion, watch from a resourceVersion (replaying what happened since, then live),
 * bearer-token checks, and the two failures an informer must survive: every open watch dropped
 * mid-stream, and history compacted so an old resourceVersion answers 410 Gone.
 */
import type { TestPki } from "./certs.ts";

interface Change {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: Record<string, unknown>;
}

export interface FakeNode {
  name: string;
  podCIDRs: string[];
  internalIPs: string[];
}

export class FakeApiServer {
  readonly nodes = new Map<string, Record<string, unknown>>();
  readonly events: Record<string, unknown>[] = [];
  /** Requests seen, e.g. "GET /api/v1/nodes", "WATCH 12", "WATCH-GONE 3". */
  readonly requests: string[] = [];
  #rv = 100;
  #history: Change[] = [];
  /** Watches from a version below this answer 410. */
  #oldest = 0;
  #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #server: ReturnType<typeof Bun.serve>;

  constructor(pki: TestPki, hostname: string, readonly token: string) {
    this.#server = Bun.serve({ hostname, port: 0, idleTimeout: 0, tls: { cert: pki.certPem, key: pki.keyPem }, fetch: (req) => this.#handle(req) });
  }

  get url(): string {
    const host = this.#server.hostname ?? "127.0.0.1";
    return `https://${host.includes(":") ? `[${host}]` : host}:${this.#server.port}`;
  }

  stop(): void {
    this.dropWatches();
    void this.#server.stop(true);
  }

  #change(type: Change["type"], object: Record<string, unknown>): void {
    const rv = ++this.#rv;
    (object.metadata as Record<string, unknown>).resourceVersion = String(rv);
    const change = { rv, type, object: structuredClone(object) };
    this.#history.push(change);
    this.#send(change);
  }

  #send(c: Change): void {
    const line = new TextEncoder().encode(`${JSON.stringify({ type: c.type, object: c.object })}\n`);
    for (const s of this.#streams) s.enqueue(line);
  }

  setNode(n: FakeNode): void {
    const old = this.nodes.get(n.name);
    const uid = old === undefined ? crypto.randomUUID() : String((old.metadata as Record<string, unknown>).uid);
    const object: Record<string, unknown> = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: n.name, uid },
      spec: n.podCIDRs.length > 0 ? { podCIDR: n.podCIDRs[0], podCIDRs: n.podCIDRs } : {},
      status: { addresses: [...n.internalIPs.map((address) => ({ type: "InternalIP", address })), { type: "Hostname", address: n.name }] },
    };
    this.nodes.set(n.name, object);
    this.#change(old === undefined ? "ADDED" : "MODIFIED", object);
  }

  deleteNode(name: string): void {
    const old = this.nodes.get(name);
    if (old === undefined) return;
    this.nodes.delete(name);
    this.#change("DELETED", old);
  }

  /**
   * Other kinds changed `n` times (the resourceVersion is cluster-wide), then a BOOKMARK tells every
   * open watch (all ask for them) the version it has now seen. Returns that version.
   */
  bookmark(n = 1): string {
    this.#rv += n;
    const rv = String(this.#rv);
    const line = new TextEncoder().encode(`${JSON.stringify({ type: "BOOKMARK", object: { kind: "Node", apiVersion: "v1", metadata: { resourceVersion: rv } } })}\n`);
    for (const s of this.#streams) s.enqueue(line);
    return rv;
  }

  /** Ends every open watch mid-stream, as an API server restart or a load balancer's idle cut does. */
  dropWatches(): void {
    for (const s of this.#streams) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    this.#streams.clear();
  }

  /** Forgets the history: a watch from any version seen so far now answers 410 Gone. */
  compact(): void {
    this.#oldest = this.#rv + 1;
    this.#history = [];
    const gone = new TextEncoder().encode(`${JSON.stringify({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Expired", code: 410, message: "too old resource version" } })}\n`);
    for (const s of this.#streams) {
      s.enqueue(gone);
      s.close();
    }
    this.#streams.clear();
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (req.headers.get("authorization") !== `Bearer ${this.token}`) return status(401, "Unauthorized");
    if (url.pathname === "/api/v1/nodes" && req.method === "GET") {
      if (url.searchParams.get("watch") === "1" || url.searchParams.get("watch") === "true") return this.#watch(url);
      this.requests.push("LIST");
      const items = [...this.nodes.values()].map((n) => structuredClone(n));
      return Response.json({ kind: "NodeList", apiVersion: "v1", metadata: { resourceVersion: String(this.#rv) }, items });
    }
    if (url.pathname === "/api/v1/namespaces/default/events" && req.method === "POST") {
      this.events.push((await req.json()) as Record<string, unknown>);
      return Response.json({ kind: "Event" }, { status: 201 });
    }
    return status(404, `${req.method} ${url.pathname} not found`);
  }

  #watch(url: URL): Response {
    const from = Number(url.searchParams.get("resourceVersion") ?? "0");
    if (from < this.#oldest) {
      this.requests.push(`WATCH-GONE ${from}`);
      return status(410, "too old resource version");
    }
    this.requests.push(`WATCH ${from}`);
    const replay = this.#history.filter((c) => c.rv > from);
    const streams = this.#streams;
    let ctl: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        ctl = c;
        streams.add(c);
        for (const ch of replay) c.enqueue(new TextEncoder().encode(`${JSON.stringify({ type: ch.type, object: ch.object })}\n`));
      },
      cancel: () => {
        if (ctl !== undefined) streams.delete(ctl);
      },
    });
    return new Response(body, { headers: { "Content-Type": "application/json" } });
  }
}

function status(code: number, message: string): Response {
  return Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", message, code }, { status: code });
}
