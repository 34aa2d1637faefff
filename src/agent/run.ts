/**
 * `tscni agent`: the DaemonSet's long-running container. Lists and watches Nodes, reconciles on
 * every change (serialized, coalesced) and on a resync timer, runs gc at start and periodically,
 * serves /healthz and /metrics, and on SIGTERM removes its routes, masquerade and — when asked
 * (the uninstall file says "true") — what `tscni install` put on the node.
 */
import { readFileSync } from "node:fs";
import { installCommand } from "../cli/install-run.ts";
import { NodeReconciler } from "./agent.ts";
import { NodeEvents } from "./events.ts";
import { runGc } from "./gc-runner.ts";
import { KubeClient } from "./kube-client.ts";
import { inClusterConfig } from "./kube-config.ts";
import type { NodeInfo } from "./kube-types.ts";
import { canMasquerade, removeMasquerade } from "./masquerade.ts";
import { previousCallLog, rotateCallLog } from "./call-log.ts";
import { renderMetrics } from "./metrics.ts";
import { NodeInformer } from "./node-informer.ts";
import type { AgentOptions } from "./options.ts";
import { removeAllRoutes, Rtnl } from "./routes.ts";

function uninstallAsked(o: AgentOptions): boolean {
  if (o.uninstall) return true;
  try {
    return readFileSync(o.uninstallFile, "utf8").trim() === "true";
  } catch {
    return false;
  }
}

async function teardown(o: AgentOptions): Promise<void> {
  o.log("uninstall: removing the agent's routes, masquerade and what tscni install put on this node");
  try {
    using nl = Rtnl.open();
    for (const c of removeAllRoutes(nl)) o.log(`route remove ${c.dst} via ${c.gw}`);
  } catch (e) {
    o.log(`uninstall: routes: ${(e as Error).message}`);
  }
  for (const f of [...(canMasquerade() ? await removeMasquerade("iptables") : []), ...(await removeMasquerade("nftables"))]) o.log(`uninstall: ${f}`);
  await installCommand({
    dir: o.installDir,
    confDir: o.confDir,
    cidrs: [],
    networkName: "tscni",
    bridge: "cni0",
    force: false,
    dryRun: false,
    uninstall: true,
    rollback: false,
    plugins: o.pluginNames,
    // Uninstall writes no network config, so nothing needs validating.
    registry: async () => undefined,
    env: o.env,
    out: (t) => o.log(`uninstall: ${t.trimEnd()}`),
    err: (t) => o.log(`uninstall: ${t.trimEnd()}`),
  });
}

export async function runAgent(o: AgentOptions): Promise<number> {
  let reconciler: NodeReconciler;
  let client: KubeClient;
  try {
    client = new KubeClient(inClusterConfig(o.kube, o.env));
  } catch (e) {
    reconciler = new NodeReconciler(o, undefined);
    reconciler.say("no-api", `cannot talk to the API server: ${(e as Error).message}`);
    return 1;
  }
  reconciler = new NodeReconciler(o, new NodeEvents(client, o.node, o.log));
  const gcTotals = { released: 0, deleted: 0, firewall: 0, errors: 0 };
  let latest: ReadonlyMap<string, NodeInfo> | undefined;
  let busy: Promise<void> = Promise.resolve();
  let pending = false;
  const schedule = (): void => {
    if (pending || latest === undefined) return;
    pending = true;
    busy = busy.then(async () => {
      pending = false;
      if (latest !== undefined) await reconciler.reconcile(latest).catch((e: unknown) => o.log(`reconcile failed: ${(e as Error).message}`));
    });
  };
  const gc = (): void => {
    busy = busy.then(async () => {
      if (!reconciler.hasConflist()) return;
      try {
        const t = await runGc({ ...o, graceSeconds: o.gcGraceSeconds, log: o.log });
        for (const k of ["released", "deleted", "firewall", "errors"] as const) gcTotals[k] += t[k];
        reconciler.status.gc = { time: new Date().toISOString(), ...gcTotals };
        reconciler.save();
      } catch (e) {
        o.log(`gc: ${(e as Error).message}`);
      }
    });
  };
  const informer = new NodeInformer({
    client,
    log: o.log,
    onChange: (nodes) => {
      latest = new Map(nodes);
      schedule();
    },
    onError: (message) => {
      if (latest === undefined) reconciler.say("no-api", `cannot list Nodes from the API server: ${message}`);
    },
  });
  // After a reboot the node's old pods are gone: free what they held before new pods need it.
  gc();
  let armed = false;
  const watchUninstall = (): void => {
    if (uninstallAsked(o) === armed) return;
    armed = !armed;
    o.log(armed ? "uninstall armed: stopping this agent (kubectl delete) removes tscni from this node" : "uninstall disarmed");
  };
  watchUninstall();
  const rotate = (): void => {
    try {
      if (rotateCallLog(o.callLog)) o.log(`call log ${o.callLog} rotated to ${previousCallLog(o.callLog)}`);
    } catch (e) {
      o.log(`call log: ${(e as Error).message}`);
    }
  };
  rotate();
  const timers = [setInterval(rotate, 60_000), setInterval(gc, o.gcIntervalSeconds * 1000), setInterval(schedule, o.resyncSeconds * 1000), setInterval(watchUninstall, 5000)];
  const server = o.listen === "" ? undefined : serve(o, () => reconciler);
  o.log(`tscni agent for node ${o.node}${server !== undefined ? `, /healthz and /metrics on ${o.listen}` : ""}`);
  const stopped = new Promise<void>((resolve) => {
    for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => resolve());
  });
  const watching = informer.run();
  await stopped;
  o.log("stopping");
  informer.stop();
  for (const t of timers) clearInterval(t);
  void server?.stop(true);
  await busy;
  await watching.catch(() => undefined);
  if (uninstallAsked(o)) await teardown(o);
  return 0;
}

function serve(o: AgentOptions, reconciler: () => NodeReconciler): ReturnType<typeof Bun.serve> {
  const at = o.listen.lastIndexOf(":");
  const hostname = o.listen.slice(0, at).replace(/^\[|\]$/g, "") || "0.0.0.0";
  const port = Number(o.listen.slice(at + 1));
  return Bun.serve({
    hostname,
    port,
    fetch(req) {
      const path = new URL(req.url).pathname;
      const s = reconciler().status;
      if (path === "/healthz") return new Response(`${s.phase}: ${s.message}\n`, { headers: { "Content-Type": "text/plain" } });
      if (path === "/metrics") {
        const body = renderMetrics({ callLog: o.callLog, confDir: o.confDir, status: s });
        return new Response(body, { headers: { "Content-Type": "text/plain; version=0.0.4" } });
      }
      return new Response("not found\n", { status: 404 });
    },
  });
}
