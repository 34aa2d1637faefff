/**
 * Variant: iptables-legacy nodes. Legacy xtables are per netns (checked first below), so each node
 * gets its own. Three nodes per implementation:
 *  - fresh: Debian's iptables-legacy/ip6tables-legacy first on PATH under the plain names;
 *  - in use: the same, with kube-proxy-style legacy rules already there (they must survive);
 *  - nft node with legacy leftovers: `iptables` resolves to iptables-nft while legacy tables hold
 *    rules (iptables-nft warns about them); the plugins follow `iptables`, never the leftovers.
 * bridge (ipMasq, dual-stack) + portmap: the layout written where `iptables` points must be the
 * reference's (compared rule for rule), read back by CHECK, and DEL/GC must leave only the shared
 * chains; the other flavour stays untouched.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { exec, requireIsolatedHost, tempNetns } from "../harness.ts";
import { type Attachment, add, check, type Conflist, del, gc, podNetwork } from "./chain.ts";
import { IMPLS, type Impl, makeNode, type Node, referenceAnswers, type Tools } from "./node.ts";
import { byTable, nodeState, versus } from "./report.ts";
import { probe, serveTag, stopServers } from "../fixtures/traffic.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const MAPPINGS = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8053, containerPort: 53, protocol: "udp" },
];

function conflist(node: Node): Conflist {
  return podNetwork(node, { name: "legacynet", subnets: ["10.66.0.0/24", "fd66::/64"], ipMasq: true });
}

/** kube-proxy (legacy mode) style rules that were there before any pod. */
const KUBE_RULES = [
  "iptables-legacy -t nat -N KUBE-SERVICES",
  "iptables-legacy -t nat -A PREROUTING -m comment --comment kube-services -j KUBE-SERVICES",
  "iptables-legacy -t nat -A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE",
  "ip6tables-legacy -t nat -N KUBE-SERVICES",
].join(" && ");

type Flavour = "fresh" | "in use" | "nft with legacy leftovers";
const FLAVOURS: readonly Flavour[] = ["fresh", "in use", "nft with legacy leftovers"];
const TOOLS: Record<Flavour, Tools> = { fresh: "legacy", "in use": "legacy", "nft with legacy leftovers": "system" };

interface Run {
  node: Node;
  list: Conflist;
  pods: Attachment[];
  /** Rules of the flavour the plugins must not touch, before the first ADD. */
  otherBefore: string;
}

const runs = new Map<string, Run>();
const key = (f: Flavour, impl: Impl): string => `${f}/${impl.name}`;

/** The rules of the flavour `iptables` resolves to on this node, and of the other one. */
async function split(r: Run, flavour: Flavour): Promise<{ mine: string; other: string }> {
  const s = await nodeState(r.node, join(r.node.work, "ipam"));
  return TOOLS[flavour] === "legacy" ? { mine: s.iptablesLegacy, other: s.iptablesNft } : { mine: s.iptablesNft, other: s.iptablesLegacy };
}

const cniLines = (text: string): string[] => text.split("\n").filter((l) => l.includes("CNI-") || l.includes("cni0"));

beforeAll(async () => {
  expect(await referenceAnswers()).toBe(true);
  for (const f of FLAVOURS) {
    for (const impl of IMPLS) {
      const node = await makeNode(impl, { tools: TOOLS[f] });
      if (f !== "fresh") await node.must(KUBE_RULES);
      const run: Run = { node, list: conflist(node), pods: [], otherBefore: "" };
      run.otherBefore = (await split(run, f)).other;
      runs.set(key(f, impl), run);
    }
  }
});

afterAll(async () => {
  await stopServers();
  for (const r of runs.values()) await r.node[Symbol.asyncDispose]();
});

test("legacy xtables are per netns: a chain made in one netns is not seen in another", async () => {
  await using a = await tempNetns();
  expect((await a.run(["iptables-legacy", "-t", "nat", "-N", "TSCNI-PROBE"])).code).toBe(0);
  await using b = await tempNetns();
  const other = await b.run(["iptables-legacy-save"]);
  expect(other.stdout).not.toContain("TSCNI-PROBE");
  expect((await exec(["iptables-legacy-save"])).stdout).not.toContain("TSCNI-PROBE");
});

describe.each(FLAVOURS)("iptables flavour: %s", (flavour) => {
  const pair = (): [Run, Run] => [runs.get(`${flavour}/tscni`) as Run, runs.get(`${flavour}/v1.9.1`) as Run];

  test("ADD writes the reference's layout where `iptables` points, nothing in the other flavour", async () => {
    const out: string[][] = [];
    for (const r of pair()) {
      for (const id of ["pod-a", "pod-b"]) {
        const a: Attachment = { ctr: await r.node.container(), id, mappings: id === "pod-a" ? MAPPINGS : [] };
        const res = await add(r.node, r.list, a);
        expect(res.error).toBe("");
        r.pods.push(a);
      }
      const s = await split(r, flavour);
      expect(s.other).toBe(r.otherBefore);
      out.push(byTable(s.mine));
    }
    const [ts = [], ref = []] = out;
    versus(`iptables ${flavour}: ADD layout`, `${cniLines(ts.join("\n")).length} CNI rules`, `${cniLines(ref.join("\n")).length} CNI rules`);
    expect(cniLines(ts.join("\n")).length).toBeGreaterThan(10);
    expect(ts).toEqual(ref);
  });

  test("the rules work (portmap from another netns) and CHECK reads them back", async () => {
    const got: string[] = [];
    for (const [i, r] of pair().entries()) {
      const pod = r.pods[0] as Attachment;
      await serveTag(pod.ctr, "A", { tcp: 80, udp: 53 });
      const client = await r.node.wired(`cl${i}`, "203.0.113.1", "203.0.113.2");
      const c = await check(r.node, r.list, pod);
      got.push(`${await probe(client, "tcp", "203.0.113.1", 8080)}/${await probe(client, "udp", "203.0.113.1", 8053)} check=${c.code}${c.error}`);
    }
    versus(`iptables ${flavour}: traffic + CHECK`, got[0], got[1]);
    expect(got).toEqual(["A/A check=0", "A/A check=0"]);
  });

  test("DEL of one pod and GC of the other leave only shared chains; the other flavour untouched", async () => {
    const left: string[][] = [];
    const shown: string[] = [];
    for (const r of pair()) {
      const d = await del(r.node, r.list, r.pods[0] as Attachment);
      const g = await gc(r.node, r.list, []);
      const s = await split(r, flavour);
      expect(s.other).toBe(r.otherBefore);
      const rest = cniLines(s.mine).filter((l) => !/^:CNI-HOSTPORT-|-j CNI-HOSTPORT-|^-A CNI-HOSTPORT-(SETMARK|MASQ) /.test(l));
      left.push(rest);
      shown.push(`DEL ${d.code} GC ${g.code}${g.error}, ${rest.length} per-pod rules left`);
    }
    versus(`iptables ${flavour}: after DEL + GC`, shown[0], shown[1], "bridge: GC is implemented");
    expect(shown[0]).toBe("DEL 0 GC 0, 0 per-pod rules left");
    // The reference's GC leaves the GC'd pod-b's masquerade chain (its name: hash of network and
    // container ID), and nothing else.
    const refLeft = left[1] ?? [];
    expect(refLeft.length).toBe(8);
    expect(refLeft.every((l) => l.includes("CNI-aedbd23870a1c8ea3e790f2c"))).toBe(true);
  });

  if (flavour === "in use") {
    test("the kube-proxy rules that were there survive ADD, DEL and GC", async () => {
      for (const r of pair()) {
        const s = await split(r, flavour);
        expect(s.mine).toContain("-A PREROUTING -m comment --comment kube-services -j KUBE-SERVICES");
        expect(s.mine).toContain("-A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE");
      }
    });
  }
});
