/**
 * `tscni agent` in a simulated three-node cluster (netns on one L2 underlay, a fake API server over
 * TLS): conflists only once podCIDRs are known, cross-node pod traffic through the agents' routes
 * without NAT, masquerade out of the cluster, portmap from another node's host, an unroutable peer
 * reported (Event + doctor), a dropped watch and a 410 losing nothing, a deleted node's route
 * removed, gc after a node reboot, /metrics, and an uninstall leaving the node's files as before.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sourceSeen, probe, serveTag, stopServers, udpRoundTrip } from "../fixtures/traffic.ts";
import { exec, requireIsolatedHost, SYSTEM_PATH, tempDir, tempNetns, type TempNetns } from "../harness.ts";
import { HUB_V4, must, SimCluster, type SimNode, TSCNI, until } from "./sim.ts";

requireIsolatedHost();
const tmp = tempDir("tscni-cluster-");
let sim: SimCluster;
let a: SimNode, b: SimNode, c: SimNode, d: SimNode;
const pods: TempNetns[] = [];
const podIps = new Map<string, string[]>();

const status = (n: SimNode): { phase: string; message: string; routed: { dst: string }[]; unreachable: { node: string }[]; gc?: { released: number; deleted: number } } =>
  existsSync(n.status) ? JSON.parse(readFileSync(n.status, "utf8")) : { phase: "none", message: "", routed: [], unreachable: [] };
const context = (...ns: SimNode[]) => () => ns.map((n) => `--- ${n.name}\n${n.agentLog.slice(-15).join("\n")}`).join("\n");
const ourRoutes = async (n: SimNode): Promise<string[]> => {
  const v4 = await must(n.ns.run(["ip", "route", "show", "proto", "122"]), "ip route");
  const v6 = await must(n.ns.run(["ip", "-6", "route", "show", "proto", "122"]), "ip -6 route");
  return `${v4}${v6}`.split("\n").filter((l) => l !== "").map((l) => l.split(" ").slice(0, 3).join(" "));
};

/** Every file under `dir`: its kind, mode and content (or link target), to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    const p = join(dir, rel);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(p)}`;
    else if (st.isFile()) out[rel] = `file ${(st.mode & 0o7777).toString(8)} ${new Bun.CryptoHasher("sha256").update(readFileSync(p)).digest("hex")}`;
    else out[rel] = `dir ${(st.mode & 0o7777).toString(8)}`;
  }
  return out;
}
let beforeBin: Record<string, string>;
let beforeConf: Record<string, string>;

async function addPod(n: SimNode, id: string, capArgs?: object): Promise<TempNetns> {
  const pod = await tempNetns({ lo: true });
  pods.push(pod);
  const r = JSON.parse(await sim.pod(n, "add", pod, id, capArgs)) as { ips: { address: string }[] };
  podIps.set(id, r.ips.map((i) => i.address.split("/")[0] ?? ""));
  return pod;
}
const ipOf = (id: string, v6 = false): string => podIps.get(id)?.find((i) => i.includes(":") === v6) ?? "";

beforeAll(async () => {
  sim = await SimCluster.create(tmp.path);
  // Node a already has someone else's bridge plugin and network config: install (forced, as the
  // ConfigMap's force: "true" does) backs them up, uninstall must put them back byte for byte.
  a = await sim.addNode("a", 1, {
    prepare: (n) => {
      writeFileSync(join(n.bin, "bridge"), "#!/bin/false\nsomeone else's bridge\n", { mode: 0o755 });
      writeFileSync(join(n.conf, "99-other.conflist"), '{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"loopback"}]}\n');
      beforeBin = snapshot(n.bin);
      beforeConf = snapshot(n.conf);
    },
    config: { force: "true" },
  });
  b = await sim.addNode("b", 2);
  c = await sim.addNode("c", 3);
  // Node d's agent runs as in the shipped image: no iptables or nft binary on its PATH.
  d = await sim.addNode("d", 4, { prepare: (n) => void (n.agentPath = join(n.dir, "no-tools")) });
  mkdirSync(d.agentPath as string);
  sim.publish(a);
  sim.publish(b, false);
  sim.publish(c);
  sim.publish(d);
  for (const n of [a, b, c, d]) sim.startAgent(n);
}, 120_000);

afterAll(async () => {
  await stopServers();
  for (const p of pods) await p[Symbol.asyncDispose]();
  await sim?.close();
  tmp[Symbol.dispose]();
});

describe("tscni agent in a simulated cluster", () => {
  test("a node without spec.podCIDRs gets no conflist; its log and doctor say why; then it does", async () => {
    await until("b waits for its podCIDRs", () => status(b).phase === "no-pod-cidr", 30_000, context(b));
    expect(existsSync(join(b.conf, "10-tscni.conflist"))).toBe(false);
    expect(b.agentLog.join("\n")).toContain("--allocate-node-cidrs");
    const doctor = await exec([TSCNI, "doctor", "--json", "--conf-dir", b.conf, "--bin-dir", b.bin, "--cache-dir", b.cache], { env: { PATH: SYSTEM_PATH, TSCNI_AGENT_STATUS: b.status } });
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; severity: string; detail: string }[] }).checks;
    expect(checks.find((k) => k.id === "agent-pod-cidr")?.severity).toBe("error");
    expect(doctor.code).toBe(1);
    sim.publish(b);
    for (const n of [a, b, c]) await until(`${n.name} ready`, () => status(n).phase === "ready", 30_000, context(n));
    const conf = JSON.parse(readFileSync(join(b.conf, "10-tscni.conflist"), "utf8")) as { plugins: { type: string; ipMasq?: boolean; ipam?: { ranges: { subnet: string }[][] } }[] };
    expect(conf.plugins.map((p) => p.type)).toEqual(["loopback", "bridge", "portmap"]);
    expect(conf.plugins[1]?.ipam?.ranges.flat().map((r) => r.subnet)).toEqual(b.podCIDRs);
    expect(conf.plugins[1]?.ipMasq).toBe(false);
  }, 90_000);

  test("each node routes every peer's pod CIDRs (v4 and v6) via the peer's InternalIP, marked proto 122", async () => {
    for (const n of [a, b, c]) {
      const want = [...sim.nodes.values()].filter((p) => p !== n).flatMap((p) => [`${p.podCIDRs[0]} via ${p.ip4}`, `${p.podCIDRs[1]} via ${p.ip6}`]).sort();
      await until(`${n.name}'s routes`, async () => JSON.stringify((await ourRoutes(n)).sort()) === JSON.stringify(want), 20_000, context(n));
    }
  }, 60_000);

  test("a pod on node a reaches a pod on node c (v4, v6) with its own source address; outside the cluster it is masqueraded", async () => {
    const pa = await addPod(a, "pod-a1", { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
    const pc = await addPod(c, "pod-c1");
    await must(pa.run(["ping", "-c", "2", "-W", "3", ipOf("pod-c1")]), "ping v4 a -> c");
    await must(pa.run(["ping", "-c", "2", "-W", "3", ipOf("pod-c1", true)]), "ping v6 a -> c");
    expect(await sourceSeen(pa, pc, ipOf("pod-c1"), 7001)).toBe(ipOf("pod-a1"));
    const [seen] = await udpRoundTrip(pa, undefined, HUB_V4, 7002);
    expect(seen).toBe(a.ip4);
  }, 60_000);

  test("an agent without any firewall tool (the image) masquerades over nf_tables: pod-to-pod keeps its source, leaving the cluster is NATed", async () => {
    await until("d ready", () => status(d).phase === "ready", 30_000, context(d));
    const conf = JSON.parse(readFileSync(join(d.conf, "10-tscni.conflist"), "utf8")) as { plugins: { type: string; ipMasq?: boolean }[] };
    expect(conf.plugins.find((p) => p.type === "bridge")?.ipMasq).toBe(false);
    expect(d.agentLog.join("\n")).toContain("masquerading over nf_tables netlink");
    const pd = await addPod(d, "pod-d1");
    const pc = pods[1] as TempNetns;
    await must(pd.run(["ping", "-c", "2", "-W", "3", ipOf("pod-c1")]), "ping v4 d -> c");
    expect(await sourceSeen(pd, pc, ipOf("pod-c1"), 7003)).toBe(ipOf("pod-d1"));
    const [seen] = await udpRoundTrip(pd, undefined, HUB_V4, 7004);
    expect(seen).toBe(d.ip4);
  }, 60_000);

  test("portmap: node b's host reaches pod a1 through node a's hostPort", async () => {
    const pa = pods[0] as TempNetns;
    await serveTag(pa, "pod-a1 answers", { tcp: 80 });
    let answer = "";
    await until("hostPort answers", async () => !(answer = await probe(b.ns, "tcp", a.ip4, 8080)).startsWith("ERR"), 10_000, () => answer);
    expect(answer).toBe("pod-a1 answers");
  }, 30_000);

  test("a peer not on a directly connected network is reported: Event, status, doctor", async () => {
    sim.api.setNode({ name: "far", podCIDRs: ["10.244.99.0/24"], internalIPs: ["10.99.0.1"] });
    await until("a reports far", () => status(a).unreachable.some((u) => u.node === "far"), 20_000, context(a));
    await until("an Event about far", () => sim.api.events.some((e) => (e.involvedObject as { name?: string }).name === "far" && e.reason === "PodCIDRNotRouted"));
    const doctor = await exec([TSCNI, "doctor", "--json", "--conf-dir", a.conf, "--bin-dir", a.bin, "--cache-dir", a.cache], { env: { PATH: SYSTEM_PATH, TSCNI_AGENT_STATUS: a.status } });
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; detail: string }[] }).checks;
    expect(checks.find((k) => k.id === "agent-peer-unreachable")?.detail).toContain("10.99.0.1");
    expect(await ourRoutes(a)).not.toContain("10.244.99.0/24 via 10.99.0.1");
  }, 40_000);

  test("a dropped watch and a 410 Gone lose no node: changes made meanwhile all arrive", async () => {
    sim.api.dropWatches();
    sim.api.compact();
    sim.api.deleteNode("far");
    sim.api.setNode({ name: "e", podCIDRs: ["10.244.5.0/24"], internalIPs: ["192.168.50.5"] });
    for (const n of [a, b, c]) {
      await until(`${n.name} routes e, forgets far`, async () => (await ourRoutes(n)).includes("10.244.5.0/24 via 192.168.50.5") && status(n).unreachable.length === 0, 30_000, context(n));
    }
    expect(sim.api.requests.some((r) => r.startsWith("WATCH-GONE"))).toBe(true);
  }, 60_000);

  test("a deleted node's routes go, on every node", async () => {
    sim.api.deleteNode("c");
    for (const n of [a, b]) await until(`${n.name} drops c's routes`, async () => !(await ourRoutes(n)).some((r) => r.includes(c.ip4) || r.includes(c.ip6)), 20_000, context(n));
    sim.publish(c);
    await until("c's routes back on a", async () => (await ourRoutes(a)).includes(`${c.podCIDRs[0]} via ${c.ip4}`), 20_000, context(a));
  }, 60_000);

  test("node b reboots: its pods are gone, gc at the agent's start frees their addresses", async () => {
    const p1 = await addPod(b, "pod-b1");
    const p2 = await addPod(b, "pod-b2");
    const reserved = (): string[] => readdirSync(join(b.ipam, "tscni")).filter((f) => /^[0-9a-f.:]+$/.test(f));
    expect(reserved().sort()).toEqual([ipOf("pod-b1"), ipOf("pod-b1", true), ipOf("pod-b2"), ipOf("pod-b2", true)].sort());
    await sim.stopAgent(b, "SIGKILL");
    p1.kill();
    p2.kill();
    await until("pods' netns gone", () => !existsSync(p1.path) && !existsSync(p2.path));
    sim.startAgent(b);
    // gc DELs each dead attachment (host-local frees its addresses) rather than only releasing them.
    await until("gc freed the dead pods' addresses", () => reserved().length === 0 && status(b).gc?.deleted === 2, 30_000, () => `${reserved().join(" ")}\n${context(b)()}`);
  }, 60_000);

  test("/metrics and tscni metrics: calls by plugin/verb/result, durations, addresses, peers", async () => {
    // The manifest's --listen=0.0.0.0:9740, inside node a.
    const res = await fetch(`http://${a.ip4}:9740/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('tscni_plugin_calls_total{plugin="bridge",verb="ADD",result="ok"} 1');
    expect(text).toMatch(/tscni_plugin_call_duration_seconds_count\{plugin="bridge",verb="ADD"\} 1/);
    expect(text).toContain('tscni_ipam_addresses{network="tscni",range="10.244.1.0/24",state="in_use"} 1');
    expect(text).toContain('tscni_ipam_addresses{network="tscni",range="10.244.1.0/24",state="free"} 252');
    expect(text).toMatch(/tscni_agent_peers\{state="routed"\} [1-9]/);
    const cli = await must(exec([TSCNI, "metrics", "--conf-dir", a.conf, "--call-log", a.callLog, "--status-file", a.status], { env: { PATH: SYSTEM_PATH } }), "tscni metrics");
    expect(cli).toContain('tscni_plugin_calls_total{plugin="bridge",verb="ADD",result="ok"} 1');
    expect(cli).toContain('state="in_use"} 1');
    expect((await fetch(`http://${a.ip4}:9740/healthz`)).status).toBe(200);
  }, 30_000);

  test("uninstall (SIGTERM with uninstall: true) leaves node a's files byte-identical, no routes, no masquerade", async () => {
    await sim.pod(a, "del", pods[0] as TempNetns, "pod-a1", { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
    // kubectl patch configmap tscni-config uninstall=true; the kubelet updates the mounted file.
    writeFileSync(a.uninstallFile, "true");
    await until("the agent says uninstall is armed", () => a.agentLog.some((l) => l.includes("uninstall armed")), 15_000, context(a));
    expect(await sim.stopAgent(a, "SIGTERM")).toBe(0);
    expect(snapshot(a.bin)).toEqual(beforeBin);
    expect(snapshot(a.conf)).toEqual(beforeConf);
    expect(await ourRoutes(a)).toEqual([]);
    const nat = await must(a.ns.run(["iptables-save", "-t", "nat"]), "iptables-save");
    expect(nat).not.toContain("TSCNI-AGENT-MASQ");
    // Node d's agent (no tools) deletes its own nft table.
    expect((await d.ns.run(["nft", "list", "table", "inet", "tscni_agent"])).code).toBe(0);
    writeFileSync(d.uninstallFile, "true");
    await until("d's agent says uninstall is armed", () => d.agentLog.some((l) => l.includes("uninstall armed")), 15_000, context(d));
    expect(await sim.stopAgent(d, "SIGTERM")).toBe(0);
    const left = await d.ns.run(["nft", "list", "table", "inet", "tscni_agent"]);
    expect(left.code).not.toBe(0);
    expect(left.stderr).toContain("No such file or directory");
    // The other nodes' agents were told nothing: they keep routing.
    expect((await ourRoutes(b)).length).toBeGreaterThan(0);
  }, 60_000);
});
