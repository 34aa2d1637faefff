/**
 * Variant: IPv6 switched off with net.ipv6.conf.{all,default}.disable_ipv6=1, in the node's host
 * netns or in the container's. A dual-stack bridge config must fail with a message naming IPv6 and
 * leave nothing behind (no veth, reservation, container interface or masquerade rule); an
 * IPv4-only config must work. tscni and v1.9.1 on a node each.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost, type TempNetns } from "../harness.ts";
import { type Attachment, add, del, podNetwork } from "./chain.ts";
import { IMPLS, makeNode, type Node, referenceAnswers } from "./node.ts";
import { nodeState, versus } from "./report.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const OFF = { "net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1" };
const sysctlArgs = Object.entries(OFF).flatMap(([k, v]) => ["-w", `${k}=${v}`]);

type Where = "host" | "container" | "host and container";
const WHERE: readonly Where[] = ["host", "container", "host and container"];

const nodes: Node[] = [];

beforeAll(async () => {
  expect(await referenceAnswers()).toBe(true);
});

afterAll(async () => {
  for (const n of nodes) await n[Symbol.asyncDispose]();
});

async function containerFor(node: Node, where: Where): Promise<TempNetns> {
  const ctr = await node.container();
  if (where !== "host") {
    const r = await ctr.run(["sysctl", "-q", ...sysctlArgs]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  return ctr;
}

/** What an ADD left: new host links, firewall lines naming the pod, reservations, container links. */
async function residue(node: Node, ctr: TempNetns, linksBefore: string[]): Promise<string> {
  const s = await nodeState(node, `${node.work}/ipam`);
  const links = s.links.filter((l) => !linksBefore.includes(l) && !l.endsWith(":bridge"));
  const rules = (s.iptablesNft + s.nft).split("\n").filter((l) => l.includes("pod-x"));
  const ips = s.dataDir.filter((f) => /\d+[.:]/.test(f));
  const ctrLinks = (await ctr.run(["ip", "-o", "link", "show"])).stdout.split("\n").filter((l) => / eth0[@:]/.test(l));
  return JSON.stringify({ links, rules, ips, ctrLinks: ctrLinks.length });
}

/** The container's eth0 global IPv6 addresses. */
async function ctrV6(ctr: TempNetns): Promise<string> {
  const r = await ctr.run(["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global"]);
  return r.stdout.split("\n").filter((l) => l.includes("inet6")).map((l) => l.split(/\s+/)[3]).join(",");
}

describe.each(WHERE)("IPv6 disabled in the %s", (where) => {
  // Off in the container only, both implementations switch IPv6 back on for the interface they
  // configure (and lo), so dual-stack works there; off in the host, the bridge cannot take its
  // IPv6 gateway address.
  const hostOff = where !== "container";

  test(hostOff ? "dual-stack: fails naming IPv6, nothing left behind; IPv4-only: works" : "dual-stack works (IPv6 re-enabled on eth0), DEL leaves nothing; IPv4-only: works", async () => {
    const adds: string[] = [];
    const left: string[] = [];
    const failed: string[] = [];
    const v4only: string[] = [];
    for (const impl of IMPLS) {
      const node = await makeNode(impl, { sysctls: hostOff ? OFF : {} });
      nodes.push(node);
      const before = (await nodeState(node, `${node.work}/ipam`)).links;
      const dual = podNetwork(node, { name: "v6off", subnets: ["10.44.0.0/24", "fd44::/64"], ipMasq: true });
      const pod: Attachment = { ctr: await containerFor(node, where), id: "pod-x" };
      const a = await add(node, dual, pod);
      adds.push(`ADD ${a.code}: ${a.error || `eth0 ${await ctrV6(pod.ctr)}`}`);
      if (a.code !== 0) failed.push(await residue(node, pod.ctr, before));
      // The runtime's DEL (after a failed ADD too), then the same on an IPv4-only network.
      await del(node, dual, pod);
      left.push(await residue(node, pod.ctr, before));
      const v4 = podNetwork(node, { name: "v4only", subnets: ["10.45.0.0/24"], ipMasq: true, bridge: { bridge: "cni1" } });
      const pod4: Attachment = { ctr: await containerFor(node, where), id: "pod-4" };
      const ok = await add(node, v4, pod4);
      const d = await del(node, v4, pod4);
      v4only.push(`ADD ${ok.code}${ok.error} DEL ${d.code}${d.error}`);
    }
    const doc = hostOff ? "bridge: IPv6 disabled on the host" : undefined;
    versus(`IPv6 off in ${where}: dual-stack ADD`, adds[0], adds[1], doc);
    if (hostOff) versus(`IPv6 off in ${where}: left by the failed ADD`, failed[0], failed[1], "bridge: a failed ADD is rolled back completely");
    versus(`IPv6 off in ${where}: left after ADD + DEL`, left[0], left[1]);
    versus(`IPv6 off in ${where}: IPv4-only`, v4only[0], v4only[1]);
    if (hostOff) {
      expect(adds[0]).toBe('ADD 1: failed to set bridge addr: could not add IP address fd44::1/64 to "cni0": permission denied (IPv6 is disabled on the host: net.ipv6.conf.cni0.disable_ipv6 = 1)');
      expect(failed[0]).toBe(JSON.stringify({ links: [], rules: [], ips: [], ctrLinks: 0 }));
      // v1.9.1's defect: its failed ADD leaves the host veth and the container's eth0 (its DEL cleans up).
      expect(JSON.parse(failed[1] ?? "{}")).toEqual({ links: [expect.stringMatching(/^veth[0-9a-f]{8}:veth$/)], rules: [], ips: [], ctrLinks: 1 });
      expect(adds[1]).toBe('ADD 1: failed to set bridge addr: could not add IP address fd44::1/64 to "cni0": permission denied');
    } else {
      expect(adds[0]).toBe(adds[1] ?? "");
      expect(adds[1]).toBe("ADD 0: eth0 fd44::2/64");
    }
    const clean = JSON.stringify({ links: [], rules: [], ips: [], ctrLinks: 0 });
    expect(left).toEqual([clean, clean]);
    expect(v4only[0]).toBe(v4only[1] ?? "");
    expect(v4only[1]).toBe("ADD 0 DEL 0");
  });
});
