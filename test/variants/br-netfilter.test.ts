/**
 * Variant: a kubeadm node with br_netfilter on (net.bridge.bridge-nf-call-iptables=1 and
 * -ip6tables=1, set in the node's own netns: per-netns sysctls on this kernel, no module is ever
 * loaded; a new netns here already starts with them at 1, they are written anyway so the scenario
 * holds where the default is 0). Bridged traffic then passes iptables too, which is where hairpin
 * and same-bridge portmap traffic break. bridge (ipMasq, hairpinMode, dual-stack) + host-local +
 * portmap, tscni and v1.9.1 on a node each; real TCP/UDP for: pod to pod (v4 and v6), hairpin
 * through a host port, masquerade to a netns outside (v4 and v6), portmap from localhost, from
 * another netns and from a pod on the same bridge.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { requireIsolatedHost } from "../harness.ts";
import { type Attachment, add, type Conflist, del, ipv4, ipv6, podNetwork } from "./chain.ts";
import { IMPLS, type Impl, makeNode, type Node, referenceAnswers } from "./node.ts";
import { nodeState, versus } from "./report.ts";
import { probe, serveTag, sourceSeen, stopServers } from "../fixtures/traffic.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const HOST_IP = "198.51.100.1";
const MAPPINGS = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8053, containerPort: 53, protocol: "udp" },
];

function conflist(node: Node): Conflist {
  return podNetwork(node, { name: "kubeadm", subnets: ["10.77.0.0/24", "fd77::/64"], ipMasq: true, hairpinMode: true });
}

interface Run {
  node: Node;
  list: Conflist;
  a: Attachment;
  b: Attachment;
}

const runs = new Map<Impl["name"], Run>();

async function setUp(impl: Impl): Promise<Run> {
  const node = await makeNode(impl, {
    sysctls: { "net.bridge.bridge-nf-call-iptables": "1", "net.bridge.bridge-nf-call-ip6tables": "1" },
  });
  const list = conflist(node);
  const a: Attachment = { ctr: await node.container(), id: "pod-a", mappings: MAPPINGS };
  const b: Attachment = { ctr: await node.container(), id: "pod-b" };
  for (const x of [a, b]) {
    const r = await add(node, list, x);
    if (r.code !== 0) throw new Error(`${impl.name} ADD ${x.id}: ${r.error}`);
  }
  await serveTag(a.ctr, "A", { tcp: 80, udp: 53 });
  await serveTag(b.ctr, "B", { tcp: 80, udp: 53 });
  // The bridge's IPv6 gateway address is usable once DAD is over (about a second).
  for (let i = 0; i < 100 && (await node.must("ip -6 addr show dev cni0 tentative")).trim() !== ""; i++) await Bun.sleep(50);
  return { node, list, a, b };
}

beforeAll(async () => {
  expect(await referenceAnswers()).toBe(true);
  for (const impl of IMPLS) runs.set(impl.name, await setUp(impl));
});

afterAll(async () => {
  await stopServers();
  for (const r of runs.values()) await r.node[Symbol.asyncDispose]();
});

/** Runs `measure` on both nodes, prints the pair, and returns them. */
async function both(scenario: string, measure: (r: Run) => Promise<string>): Promise<{ tscni: string; v191: string }> {
  const out: Record<string, string> = {};
  for (const [name, r] of runs) out[name] = await measure(r);
  const pair = { tscni: out.tscni ?? "", v191: out["v1.9.1"] ?? "" };
  versus(`br_netfilter: ${scenario}`, pair.tscni, pair.v191);
  return pair;
}

describe("br_netfilter on (bridge-nf-call-iptables=1, -ip6tables=1 in the node's netns)", () => {
  test("the sysctls read back as 1 in the node", async () => {
    for (const r of runs.values()) {
      expect((await r.node.must("sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables")).split("\n").slice(0, 2)).toEqual(["1", "1"]);
    }
  });

  test("pod to pod on one bridge (TCP and UDP)", async () => {
    const got = await both("pod to pod", async (r) => `${await probe(r.b.ctr, "tcp", ipv4(r.a), 80)}/${await probe(r.b.ctr, "udp", ipv4(r.a), 53)}`);
    expect(got).toEqual({ tscni: "A/A", v191: "A/A" });
  });

  test("pod to pod over IPv6 (bridge-nf-call-ip6tables)", async () => {
    const got = await both("pod to pod, IPv6", async (r) => sourceSeen(r.b.ctr, r.a.ctr, ipv6(r.a), 40001));
    expect(got).toEqual({ tscni: "fd77::3", v191: "fd77::3" });
  });

  test("hairpin: a pod reaches itself through its host port (hairpinMode)", async () => {
    const got = await both("hairpin via host port", async (r) => {
      await r.node.must(`ip addr add ${HOST_IP}/32 dev lo`).catch(() => "");
      return `${await probe(r.a.ctr, "tcp", HOST_IP, 8080)}/${await probe(r.a.ctr, "udp", "10.77.0.1", 8053)}`;
    });
    expect(got).toEqual({ tscni: "A/A", v191: "A/A" });
  });

  test("masquerade: a netns outside sees the node's address (IPv4 and IPv6)", async () => {
    const got = await both("masquerade to outside", async (r) => {
      const outside = await r.node.wired("out0", "192.0.2.1", "192.0.2.2");
      await r.node.must("ip addr add 2001:db8:ff::1/64 dev out0 nodad");
      const v6 = await outside.run(["ip", "addr", "add", "2001:db8:ff::2/64", "dev", "out0p", "nodad"]);
      if (v6.code !== 0) throw new Error(v6.stderr);
      return `${await sourceSeen(r.a.ctr, outside, "192.0.2.2", 40000)} ${await sourceSeen(r.a.ctr, outside, "2001:db8:ff::2", 40002)}`;
    });
    expect(got).toEqual({ tscni: "192.0.2.1 2001:db8:ff::1", v191: "192.0.2.1 2001:db8:ff::1" });
  });

  test("portmap from localhost", async () => {
    const got = await both("portmap from 127.0.0.1", async (r) => probe(r.node.host, "tcp", "127.0.0.1", 8080));
    expect(got).toEqual({ tscni: "A", v191: "A" });
  });

  test("portmap from another netns", async () => {
    const got = await both("portmap from another netns", async (r) => {
      const client = await r.node.wired("cl0", "203.0.113.1", "203.0.113.2");
      return `${await probe(client, "tcp", "203.0.113.1", 8080)}/${await probe(client, "udp", "203.0.113.1", 8053)}`;
    });
    expect(got).toEqual({ tscni: "A/A", v191: "A/A" });
  });

  test("portmap from a pod on the same bridge", async () => {
    const got = await both("portmap from a pod on the same bridge", async (r) => `${await probe(r.b.ctr, "tcp", HOST_IP, 8080)}/${await probe(r.b.ctr, "tcp", "10.77.0.1", 8080)}`);
    expect(got).toEqual({ tscni: "A/A", v191: "A/A" });
  });

  test("DEL of both pods leaves no per-pod rule, veth or reservation", async () => {
    const got = await both("DEL leaves", async (r) => {
      for (const x of [r.a, r.b]) {
        const d = await del(r.node, r.list, x);
        if (d.code !== 0) return `DEL ${x.id}: ${d.error}`;
      }
      const s = await nodeState(r.node, join(r.node.work, "ipam"));
      const rules = s.iptablesNft.split("\n").filter((l) => /CNI-DN-|CNI-[0-9a-f]{24}|pod-[ab]/.test(l));
      return JSON.stringify({ veths: s.links.filter((l) => l.endsWith(":veth") && !/^(cl0|out0):/.test(l)), rules, ipam: s.dataDir.filter((f) => /\d+\.\d+/.test(f)) });
    });
    expect(got.tscni).toBe(JSON.stringify({ veths: [], rules: [], ipam: [] }));
    expect(got.tscni).toBe(got.v191);
  });
});
