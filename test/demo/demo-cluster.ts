/**
 * `make demo-cluster`: `tscni agent` giving a three-node cluster its pod network, in a throwaway
 * host (nothing touches the machine's own network, /run or /var/lib/cni). A fake API server over
 * TLS plays Kubernetes; each node is a network namespace on one L2 underlay running the
 * DaemonSet's own install and agent commands. Shows the routes the agents make, a pod on node a
 * pinging a pod on node c, a hostPort reached from node b, and a node's removal taking its routes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until, SimCluster, type SimNode, must } from "../cluster/sim.ts";
import { probe, serveTag, stopServers } from "../fixtures/traffic.ts";
import { prepareThrowawayHost, tempNetns, type TempNetns } from "../harness.ts";
import { runDemo } from "./throwaway.ts";

/** Each wait inside is bounded; this bounds the whole demo. */
const DEMO_MS = 180_000;

const step = (title: string): void => console.log(`\n\x1b[1m== ${title}\x1b[0m`);
const show = (cmd: string, out: string): void => {
  console.log(`\x1b[2m$ ${cmd}\x1b[0m`);
  if (out.trim() !== "") console.log(out.trimEnd());
};
const phase = (n: SimNode): string => {
  try {
    return (JSON.parse(readFileSync(n.status, "utf8")) as { phase: string }).phase;
  } catch {
    return "starting";
  }
};

async function routes(n: SimNode): Promise<void> {
  const v4 = await must(n.ns.run(["ip", "route", "show", "proto", "122"]), "ip route");
  const v6 = await must(n.ns.run(["ip", "-6", "route", "show", "proto", "122"]), "ip -6 route");
  show(`node ${n.name}: ip route show proto 122; ip -6 route show proto 122`, `${v4}${v6}` || "(none)");
}

async function inner(): Promise<void> {
  prepareThrowawayHost();
  const tmp = mkdtempSync(join(tmpdir(), "tscni-demo-cluster-"));
  const pods: TempNetns[] = [];
  const sim = await SimCluster.create(tmp);
  try {
    step("three nodes on one L2 underlay (192.168.50.0/24), tscni installed by the DaemonSet's init command");
    const [a, b, c] = [await sim.addNode("a", 1), await sim.addNode("b", 2), await sim.addNode("c", 3)] as [SimNode, SimNode, SimNode];
    for (const n of [a, b, c]) console.log(`node ${n.name}: ${n.ip4}, ${n.ip6}; Node.spec.podCIDRs ${n.podCIDRs.join(", ")}`);

    step("the API server has the Nodes; each node runs `tscni agent`");
    for (const n of [a, b, c]) sim.publish(n);
    for (const n of [a, b, c]) sim.startAgent(n);
    for (const n of [a, b, c]) await until(`node ${n.name}'s agent ready`, () => phase(n) === "ready", 30_000, () => n.agentLog.join("\n"));
    for (const l of a.agentLog) console.log(`  a| ${l}`);
    show(`node a: cat ${join(a.conf, "10-tscni.conflist")} | head -20`, readFileSync(join(a.conf, "10-tscni.conflist"), "utf8").split("\n").slice(0, 20).join("\n"));
    for (const n of [a, b, c]) await routes(n);

    step("a pod on node a and one on node c (tscni run add, as the runtime calls the network)");
    const addPod = async (n: SimNode, id: string, cap?: object): Promise<[TempNetns, string]> => {
      const pod = await tempNetns({ lo: true });
      pods.push(pod);
      const r = JSON.parse(await sim.pod(n, "add", pod, id, cap)) as { ips: { address: string }[] };
      const ip = r.ips[0]?.address.split("/")[0] ?? "";
      console.log(`${id} on node ${n.name}: ${r.ips.map((i) => i.address).join(", ")}`);
      return [pod, ip];
    };
    const [pa] = await addPod(a, "pod-a", { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
    const [, ipC] = await addPod(c, "pod-c");

    step("pod-a pings pod-c across nodes (no overlay, no NAT: the agents' routes)");
    show(`pod-a: ping -c 2 ${ipC}`, await must(pa.run(["ping", "-c", "2", "-W", "3", ipC]), "ping"));

    step("node b's host reaches pod-a through node a's hostPort 8080");
    await serveTag(pa, "hello from pod-a", { tcp: 80 });
    let answer = "";
    await until("hostPort answers", async () => !(answer = await probe(b.ns, "tcp", a.ip4, 8080)).startsWith("ERR"), 10_000, () => answer);
    console.log(`node b -> ${a.ip4}:8080 answered: ${answer}`);

    step("kubectl delete node c: every agent removes c's routes");
    sim.api.deleteNode("c");
    for (const n of [a, b]) await until(`node ${n.name} drops c's routes`, async () => !(await must(n.ns.run(["ip", "route", "show", "proto", "122"]), "ip route")).includes(c.ip4), 20_000);
    for (const n of [a, b]) await routes(n);
    const metrics = await (await fetch(`http://${a.ip4}:9740/metrics`)).text();
    show(`curl http://${a.ip4}:9740/metrics | grep -E 'calls_total|ipam_addresses|agent_peers'`, metrics.split("\n").filter((l) => /^tscni_(plugin_calls_total|ipam_addresses|agent_peers)/.test(l)).join("\n"));
    for (const n of [a, b]) {
      const mem = readFileSync(`/proc/${n.agent?.pid ?? 0}/status`, "utf8").split("\n").filter((l) => /^Vm(HWM|RSS):/.test(l)).map((l) => l.replace(/\s+/g, " "));
      console.log(`node ${n.name}'s agent: ${mem.join(", ")}`);
    }
    console.log("\n\x1b[1mdemo-cluster ok\x1b[0m");
  } finally {
    await stopServers();
    for (const p of pods) await p[Symbol.asyncDispose]();
    await sim.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

runDemo("demo-cluster", import.meta.path, DEMO_MS, inner);
