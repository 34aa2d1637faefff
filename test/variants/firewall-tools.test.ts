/**
 * Variants by firewall tooling on PATH, tscni and v1.9.1 on a node each:
 *  - nft-only (nft, no iptables binaries): bridge ipMasq and portmap pick nftables as the
 *    reference does: same tables, working masquerade and port forwarding, STATUS passes, doctor
 *    names the backend; DEL leaves no per-pod rule, GC of a forgotten pod none of bridge's;
 *  - no firewall tool at all: without ipMasq and mappings everything works (ADD, CHECK, DEL);
 *    with ipMasq an ADD fails with a CNI error naming what is missing and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { exec, requireIsolatedHost, tscni } from "../harness.ts";
import { type Attachment, add, check, type Conflist, del, gc, ipv4, podNetwork } from "./chain.ts";
import { IMPLS, type Impl, makeNode, type Node, referenceAnswers } from "./node.ts";
import { nodeState, versus } from "./report.ts";
import { probe, serveTag, sourceSeen, stopServers } from "../fixtures/traffic.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const MAPPINGS = [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }];

function conflist(node: Node, ipMasq: boolean): Conflist {
  return podNetwork(node, { name: "fwnet", subnets: ["10.55.0.0/24"], ipMasq });
}

const nodes: Node[] = [];
async function nodeFor(impl: Impl, tools: "nft-only" | "none"): Promise<Node> {
  const n = await makeNode(impl, { tools });
  nodes.push(n);
  return n;
}

beforeAll(async () => {
  expect(await referenceAnswers()).toBe(true);
});

afterAll(async () => {
  await stopServers();
  for (const n of nodes) await n[Symbol.asyncDispose]();
});

/** nft ruleset without handles and counters, tables in name order. */
function ruleset(text: string): string[] {
  const tables = text.split(/\n(?=table )/).map((t) => t.replace(/ # handle \d+/g, "").replace(/counter packets \d+ bytes \d+/g, "counter").trim());
  return tables.filter((t) => t !== "").sort();
}

describe("nft-only node (no iptables on PATH)", () => {
  const runs: { node: Node; list: Conflist; pod: Attachment }[] = [];

  beforeAll(async () => {
    for (const impl of IMPLS) {
      const node = await nodeFor(impl, "nft-only");
      runs.push({ node, list: conflist(node, true), pod: { ctr: await node.container(), id: "pod-a", mappings: MAPPINGS } });
    }
  });

  test("ADD: both choose nftables; the same tables and rules as the reference", async () => {
    const got: string[] = [];
    const sets: string[][] = [];
    for (const r of runs) {
      const res = await add(r.node, r.list, r.pod);
      const s = await nodeState(r.node, join(r.node.work, "ipam"));
      sets.push(ruleset(s.nft));
      const tables = s.nft.split("\n").filter((l) => l.startsWith("table ")).map((l) => l.replace(/ \{.*/, ""));
      got.push(`ADD ${res.code}${res.error}; ${tables.join(", ")}; iptables-nft rules: ${s.iptablesNft === "" ? "none" : "some"}`);
    }
    versus("nft-only: ADD", got[0], got[1]);
    expect(got[0]).toBe(got[1]);
    expect(got[0]).toContain("ADD 0;");
    expect(sets[0]).toEqual(sets[1] ?? []);
  });

  test("masquerade and port forwarding work", async () => {
    const got: string[] = [];
    for (const [i, r] of runs.entries()) {
      await serveTag(r.pod.ctr, "A", { tcp: 80, udp: 53 });
      const outside = await r.node.wired(`out${i}`, "192.0.2.1", "192.0.2.2");
      const client = await r.node.wired(`cl${i}`, "203.0.113.1", "203.0.113.2");
      got.push(`masq ${await sourceSeen(r.pod.ctr, outside, "192.0.2.2", 40000)}, portmap ${await probe(client, "tcp", "203.0.113.1", 8080)}`);
    }
    versus("nft-only: traffic", got[0], got[1]);
    expect(got).toEqual(["masq 192.0.2.1, portmap A", "masq 192.0.2.1, portmap A"]);
  });

  test("STATUS passes and CHECK reads the rules back", async () => {
    const got: string[] = [];
    for (const r of runs) {
      const c = await check(r.node, r.list, r.pod);
      const st = await r.node.call("portmap", { command: "STATUS", containerId: "", netns: "", stdin: { cniVersion: "1.1.0", name: "fwnet", type: "portmap" } });
      got.push(`CHECK ${c.code}${c.error}, portmap STATUS ${st.code}${st.stdout}`);
    }
    versus("nft-only: CHECK + STATUS", got[0], got[1]);
    expect(got).toEqual(["CHECK 0, portmap STATUS 0", "CHECK 0, portmap STATUS 0"]);
  });

  test("tscni doctor says nftables is the backend in use", async () => {
    const r = runs[0] as { node: Node };
    const d = await exec(["/usr/bin/nsenter", `--net=${r.node.host.path}`, "--", tscni("tscni"), "doctor", "--json", "--conf-dir", r.node.work, "--cache-dir", r.node.work], {
      env: { PATH: r.node.path },
    });
    const checks = (JSON.parse(d.stdout) as { checks: { id: string; detail: string }[] }).checks.filter((c) => ["iptables", "nft", "firewall-backend"].includes(c.id));
    versus("nft-only: doctor", checks.map((c) => c.detail).join("; "), "-", "tscni's own command");
    expect(checks.find((c) => c.id === "firewall-backend")?.detail).toBe("backend: nftables (iptables is not usable here)");
  });

  // The reference decides its backend (and refuses options of another) before it looks at the
  // mappings, so a portmap with nothing to map still fails on such a config; tscni succeeded here.
  test("portmap without mappings, iptables-style conditions, no backend: the same backend conflict on ADD, CHECK and DEL", async () => {
    const got: string[] = [];
    for (const r of runs) {
      const bridgeOnly: Conflist = { ...r.list, plugins: r.list.plugins.slice(0, 1) };
      const pod: Attachment = { ctr: await r.node.container(), id: "pod-cond", mappings: [] };
      const a = await add(r.node, bridgeOnly, pod);
      const stdin = { cniVersion: r.list.cniVersion, name: r.list.name, type: "portmap", conditionsV4: ["-s", "10.0.0.0/8"], prevResult: pod.result };
      const before = (await nodeState(r.node, join(r.node.work, "ipam"))).nft;
      const calls: string[] = [];
      for (const command of ["ADD", "CHECK", "DEL"]) {
        const c = await r.node.call("portmap", { command, containerId: pod.id, netns: pod.ctr.path, stdin });
        calls.push(`${command} ${c.code} ${JSON.stringify(c.json)}`);
      }
      const after = (await nodeState(r.node, join(r.node.work, "ipam"))).nft;
      const d = await del(r.node, bridgeOnly, pod);
      got.push(`bridge ADD ${a.code}${a.error}; ${calls.join("; ")}; ruleset ${after === before ? "unchanged" : "changed"}; bridge DEL ${d.code}${d.error}`);
    }
    versus("nft-only: portmap conditions without mappings", got[0], got[1]);
    expect(got[0]).toBe(got[1]);
    expect(got[0]).toContain('ADD 1 {"code":999,"msg":"failed to parse config: nftables backend was requested but configuration contains iptables-specific options [conditionsV4]"}');
    expect(got[0]).toContain("ruleset unchanged");
    expect(got[0]).toStartWith("bridge ADD 0;");
    expect(got[0]).toEndWith("bridge DEL 0");
  });

  test("DEL leaves no per-pod rule", async () => {
    const got: string[] = [];
    for (const r of runs) {
      const d = await del(r.node, r.list, r.pod);
      const s = await nodeState(r.node, join(r.node.work, "ipam"));
      const perPod = s.nft.split("\n").filter((l) => l.includes("pod-a") || l.includes("10.55.0.2"));
      got.push(`DEL ${d.code}${d.error}, ${perPod.length} per-pod rules left`);
    }
    versus("nft-only: DEL", got[0], got[1]);
    expect(got).toEqual(["DEL 0, 0 per-pod rules left", "DEL 0, 0 per-pod rules left"]);
  });

  // Plugin GC of one network: bridge removes the forgotten pod's masquerade rule; portmap's nft
  // rules name only their container, so its GC leaves them, as v1.9.1's (which has no GC) does —
  // removing them would also remove other networks' live pods (test/netns/portmap-nft-gc-scope).
  test("GC of a pod the runtime forgot removes its masquerade rules, leaves portmap's as v1.9.1", async () => {
    const got: string[] = [];
    for (const r of runs) {
      const gone: Attachment = { ctr: await r.node.container(), id: "pod-gone", mappings: MAPPINGS };
      const a = await add(r.node, r.list, gone);
      const before = perPodByTable((await nodeState(r.node, join(r.node.work, "ipam"))).nft, ["pod-gone", ipv4(gone)]);
      const g = await gc(r.node, r.list, []);
      const after = perPodByTable((await nodeState(r.node, join(r.node.work, "ipam"))).nft, ["pod-gone", ipv4(gone)]);
      got.push(`ADD ${a.code} GC ${g.code}${g.error}; per-pod rules before GC: ${before}; after: ${after}`);
    }
    versus("nft-only: GC", got[0], got[1], "bridge: GC removes the masquerade rule (v1.9.1 keeps it); portmap's nft rules stay, as v1.9.1's");
    const before = "per-pod rules before GC: table inet cni_plugins_masquerade: 1, table ip cni_hostport: 3";
    expect(got).toEqual([`ADD 0 GC 0; ${before}; after: table ip cni_hostport: 3`, `ADD 0 GC 0; ${before}; after: table inet cni_plugins_masquerade: 1, table ip cni_hostport: 3`]);
  });
});

/** Per nft table, how many ruleset lines mention one of the needles ("none" when no table does). */
function perPodByTable(nft: string, needles: readonly string[]): string {
  const counts: string[] = [];
  for (const t of nft.split(/\n(?=table )/)) {
    const lines = t.split("\n");
    const n = lines.filter((l) => needles.some((x) => l.includes(x))).length;
    if (n > 0) counts.push(`${(lines[0] ?? "").replace(/ \{.*/, "")}: ${n}`);
  }
  return counts.length > 0 ? counts.sort().join(", ") : "none";
}

describe("no firewall tool at all", () => {
  test("ipMasq false, no port mappings: ADD, CHECK and DEL work", async () => {
    const got: string[] = [];
    for (const impl of IMPLS) {
      const node = await nodeFor(impl, "none");
      const list = conflist(node, false);
      const pod: Attachment = { ctr: await node.container(), id: "pod-a", mappings: [] };
      const a = await add(node, list, pod);
      const c = await check(node, list, pod);
      const d = await del(node, list, pod);
      got.push(`ADD ${a.code}${a.error}, CHECK ${c.code}${c.error}, DEL ${d.code}${d.error}`);
    }
    versus("no firewall tool, no masq/mappings", got[0], got[1]);
    expect(got[0]).toBe(got[1] ?? "");
    expect(got[1]).toBe("ADD 0, CHECK 0, DEL 0");
  });

  // STATUS answers as v1.9.1's does: pods without port mappings still start on such a node, so an
  // unusable firewall tool fails only the ADDs that map ports, never the node's readiness.
  test("portmap STATUS succeeds as the reference's does; pods without mappings can still start", async () => {
    const got: string[] = [];
    for (const impl of IMPLS) {
      const node = await nodeFor(impl, "none");
      const st = await node.call("portmap", { command: "STATUS", containerId: "", netns: "", stdin: { cniVersion: "1.1.0", name: "fwnet", type: "portmap" } });
      got.push(`STATUS ${st.code}${st.code === 0 ? "" : ` (${(st.json as { code?: number }).code}) ${(st.json as { msg?: string }).msg}`}`);
    }
    versus("no firewall tool, portmap STATUS", got[0], got[1]);
    expect(got).toEqual(["STATUS 0", "STATUS 0"]);
  });

  test("ipMasq true: a CNI error naming what is missing, nothing left behind", async () => {
    const got: string[] = [];
    const left: string[] = [];
    for (const impl of IMPLS) {
      const node = await nodeFor(impl, "none");
      const list = conflist(node, true);
      const before = await nodeState(node, join(node.work, "ipam"));
      const pod: Attachment = { ctr: await node.container(), id: "pod-a" };
      const a = await add(node, list, pod);
      const after = await nodeState(node, join(node.work, "ipam"));
      const ctrLinks = (await pod.ctr.run(["ip", "-o", "link", "show"])).stdout.split("\n").filter((l) => l.includes("eth0")).length;
      got.push(`ADD ${a.code} (${(a.reply.json as { code?: number } | undefined)?.code}) ${a.error}`);
      left.push(JSON.stringify({ links: after.links.filter((l) => !before.links.includes(l)), ipam: after.dataDir.filter((f) => /\d+\.\d+/.test(f)), ctrLinks }));
    }
    versus("no firewall tool, ipMasq: error", got[0], got[1], "bridge: ipMasq tool checked before any change");
    versus("no firewall tool, ipMasq: left behind", left[0], left[1], "bridge: ipMasq tool checked before any change");
    expect(got[0]).toMatch(/^ADD 1 \(999\) .*(iptables|nft).*not found/);
    expect(left[0]).toBe(JSON.stringify({ links: [], ipam: [], ctrLinks: 0 }));
  });

  test("port mappings: portmap's ADD fails naming the tool; the runtime's DEL of the chain succeeds and leaves nothing", async () => {
    const got: string[] = [];
    for (const impl of IMPLS) {
      const node = await nodeFor(impl, "none");
      const list = conflist(node, false);
      const pod: Attachment = { ctr: await node.container(), id: "pod-a", mappings: MAPPINGS };
      const a = await add(node, list, pod);
      const d = await del(node, list, pod);
      const s = await nodeState(node, join(node.work, "ipam"));
      const veths = s.links.filter((l) => l.endsWith(":veth")).length;
      got.push(`ADD ${a.code}: ${a.error}; DEL ${d.code}${d.error}; ${veths} veths, ${s.dataDir.filter((f) => /\d+\.\d+/.test(f)).length} reservations left`);
    }
    versus("no firewall tool, port mappings", got[0], got[1], "portmap: DEL without the firewall tool");
    expect(got[0]).toBe("ADD 1: unable to setup DNAT: failed to locate iptables: executable file not found in $PATH; DEL 0; 0 veths, 0 reservations left");
  });
});
