/**
 * The agent's Node informer against the fake API server over real TLS: list then watch, a dropped
 * watch resumes from the last resourceVersion without losing a change, a 410 (as a watch ERROR
 * event and as an HTTP status) makes it list again, a wrong CA is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { KubeClient } from "../../../src/agent/kube-client.ts";
import { inClusterConfig } from "../../../src/agent/kube-config.ts";
import { NodeInformer } from "../../../src/agent/node-informer.ts";
import { makePki } from "../../cluster/certs.ts";
import { FakeApiServer } from "../../cluster/fake-apiserver.ts";
import { tempDir } from "../../harness.ts";

const dir = tempDir("tscni-informer-");
const pki = makePki(["127.0.0.1"]);
const api = new FakeApiServer(pki, "127.0.0.1", "secret-token");
writeFileSync(join(dir.path, "token"), "secret-token\n");
writeFileSync(join(dir.path, "ca.crt"), pki.caPem);
const logs: string[] = [];
const config = inClusterConfig({ server: api.url, tokenFile: join(dir.path, "token"), caFile: join(dir.path, "ca.crt") }, {});
let informer: NodeInformer;
let changes = 0;

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = performance.now() + ms; performance.now() < end; await Bun.sleep(20)) if (cond()) return;
  throw new Error(`not within ${ms} ms: ${what}\n${logs.join("\n")}\n${api.requests.join("\n")}`);
}

beforeAll(() => {
  api.setNode({ name: "a", podCIDRs: ["10.244.0.0/24"], internalIPs: ["192.168.1.1"] });
  api.setNode({ name: "b", podCIDRs: ["10.244.1.0/24", "fd00:10:244:1::/64"], internalIPs: ["192.168.1.2", "fd00::2"] });
  informer = new NodeInformer({ client: new KubeClient(config), log: (l) => logs.push(l), onChange: () => changes++, backoffMs: { first: 50, max: 200 } });
  void informer.run();
});

afterAll(() => {
  informer.stop();
  api.stop();
  dir[Symbol.dispose]();
});

describe("node informer", () => {
  test("lists, then sees additions over the watch", async () => {
    await until("a and b listed", () => informer.nodes.size === 2);
    expect(informer.nodes.get("b")?.podCIDRs).toEqual(["10.244.1.0/24", "fd00:10:244:1::/64"]);
    expect(informer.nodes.get("b")?.internalIPs).toEqual(["192.168.1.2", "fd00::2"]);
    await until("watch open", () => api.requests.some((r) => r.startsWith("WATCH ")));
    api.setNode({ name: "c", podCIDRs: [], internalIPs: ["192.168.1.3"] });
    await until("c seen", () => informer.nodes.has("c"));
    expect(informer.lists).toBe(1);
  });

  test("a dropped watch resumes from the last version and loses nothing", async () => {
    const watches = api.requests.filter((r) => r.startsWith("WATCH ")).length;
    api.dropWatches();
    api.setNode({ name: "c", podCIDRs: ["10.244.2.0/24"], internalIPs: ["192.168.1.3"] });
    await until("c's podCIDR seen", () => informer.nodes.get("c")?.podCIDRs[0] === "10.244.2.0/24");
    expect(api.requests.filter((r) => r.startsWith("WATCH ")).length).toBeGreaterThan(watches);
    expect(informer.lists).toBe(1);
  });

  test("410 as a watch ERROR event: lists again, the deletion made meanwhile is seen", async () => {
    await until("watch re-opened", () => api.requests.at(-1)?.startsWith("WATCH ") === true);
    api.compact();
    api.deleteNode("a");
    await until("a gone", () => !informer.nodes.has("a"));
    expect(informer.lists).toBe(2);
  });

  test("410 as the HTTP status of a watch: lists again", async () => {
    await until("watch re-opened", () => api.requests.at(-1)?.startsWith("WATCH ") === true);
    api.dropWatches();
    api.compact();
    api.setNode({ name: "d", podCIDRs: ["10.244.3.0/24"], internalIPs: ["192.168.1.4"] });
    await until("d seen", () => informer.nodes.has("d"));
    expect(api.requests.some((r) => r.startsWith("WATCH-GONE"))).toBe(true);
    expect(informer.lists).toBe(3);
    expect([...informer.nodes.keys()].sort()).toEqual(["b", "c", "d"]);
    expect(changes).toBeGreaterThan(3);
  });

  test("a BOOKMARK moves the resourceVersion on without a change; a dropped watch resumes from it", async () => {
    await until("watch re-opened", () => api.requests.at(-1)?.startsWith("WATCH ") === true);
    const before = { changes, nodes: JSON.stringify([...informer.nodes]) };
    const rv = api.bookmark(50);
    await until(`resourceVersion ${rv}`, () => informer.resourceVersion === rv);
    expect({ changes, nodes: JSON.stringify([...informer.nodes]) }).toEqual(before);
    api.dropWatches();
    await until(`a watch from ${rv}`, () => api.requests.includes(`WATCH ${rv}`));
    expect(api.requests.filter((r) => r === "LIST").length).toBe(informer.lists);
  });

  test("a server whose certificate does not chain to the given CA, or names another host, is refused, whatever the environment says", async () => {
    await expect(new KubeClient(config).getJson("/api/v1/nodes")).resolves.toMatchObject({ kind: "NodeList" });
    const other = makePki(["127.0.0.1"]);
    const elsewhere = makePki(["127.0.0.2"]);
    const impostor = new FakeApiServer(elsewhere, "127.0.0.1", "secret-token");
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      await expect(new KubeClient({ ...config, ca: other.caPem }).getJson("/api/v1/nodes")).rejects.toThrow(/certificate/);
      await expect(new KubeClient({ ...config, server: impostor.url, ca: elsewhere.caPem }).getJson("/api/v1/nodes")).rejects.toThrow(/ALTNAME/);
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
      impostor.stop();
    }
    expect(impostor.requests).toEqual([]);
  });

  test("a wrong token is an error with the API server's status", async () => {
    writeFileSync(join(dir.path, "bad"), "nope\n");
    const client = new KubeClient({ ...config, tokenFile: join(dir.path, "bad") });
    await expect(client.getJson("/api/v1/nodes")).rejects.toThrow(/HTTP 401/);
  });

  test("a watch closed at once with no events backs off as a failure instead of reopening in a tight loop", async () => {
    let watches = 0;
    const errors: string[] = [];
    const stub = {
      getJson: async () => ({ kind: "NodeList", metadata: { resourceVersion: "7" }, items: [] }),
      async *watch(): AsyncGenerator<never> {
        // The third reopen ends the test: without the backoff nothing else ever runs.
        if (++watches === 3) quiet.stop();
      },
    } as unknown as KubeClient;
    const quiet: NodeInformer = new NodeInformer({ client: stub, log: () => {}, onChange: () => {}, onError: (m) => void errors.push(m), backoffMs: { first: 1, max: 2 } });
    await quiet.run();
    expect(watches).toBe(3);
    expect(errors).toEqual(["the watch was closed at once, with no events", "the watch was closed at once, with no events"]);
    expect(quiet.lists).toBe(1);
  });
});
