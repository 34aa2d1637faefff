/**
 * Variant: kernels whose conntrack netlink cannot filter a delete (before the filtered flush) take
 * the dump + delete fallback. This kernel can, so the fallback is forced through the Conntrack
 * handle (kernelFilter: false) in a node's netns, and its outcome is compared with what the
 * binaries do there: tscni portmap ADD (kernel-filtered here) and the v1.9.1 reference portmap ADD
 * (which always lists and deletes). Same planted table, same survivors, every zone; also with
 * hundreds of entries, so the dump spans many netlink messages. A kernel without conntrack
 * netlink at all only logs the failed cleanup (test/unit/portmap/portmap.test.ts).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { AF_INET, AF_INET6, Conntrack } from "../../src/netlink/index.ts";
import { NetNs } from "../../src/sys/index.ts";
import { plantCommand } from "../fixtures/conntrack-plant.ts";
import { requireIsolatedHost } from "../harness.ts";
import { IMPLS, makeNode, type Node, referenceAnswers, TSCNI } from "./node.ts";
import { versus } from "./report.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const PORT = 8053;
const OTHER = 9053;
const nodes: Node[] = [];

beforeAll(async () => {
  expect(await referenceAnswers()).toBe(true);
});

afterAll(async () => {
  for (const n of nodes) await n[Symbol.asyncDispose]();
});


/** `conntrack -L` of the node: protocol, family and ports of each entry, sorted. */
async function table(node: Node): Promise<string[]> {
  const out = await node.must("conntrack -L 2>/dev/null");
  return out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => `${l.split(/\s+/)[0]}${/src=[0-9a-f:]*:/.test(l) ? 6 : 4} ${/sport=(\d+)/.exec(l)?.[1]}->${/dport=(\d+)/.exec(l)?.[1]}`)
    .sort();
}

function portmapAdd(node: Node, ctrPath: string): Promise<{ code: number; stdout: string }> {
  return node.call("portmap", {
    command: "ADD",
    containerId: "ctr-ct",
    netns: ctrPath,
    stdin: {
      cniVersion: "1.0.0",
      name: "ctnet",
      type: "portmap",
      runtimeConfig: { portMappings: [{ hostPort: PORT, containerPort: 53, protocol: "udp" }] },
      prevResult: {
        cniVersion: "1.0.0",
        interfaces: [{ name: "eth0", sandbox: ctrPath }],
        ips: [
          { address: "10.98.0.2/24", interface: 0 },
          { address: "fd98::2/64", interface: 0 },
        ],
      },
    },
  });
}

describe.each([0, 200])("UDP conntrack cleanup for a mapped port, %i extra entries", (bulk) => {
  test("forced dump + delete == tscni ADD == v1.9.1 ADD", async () => {
    const after: Record<string, string[]> = {};
    for (const impl of IMPLS) {
      const node = await makeNode(impl);
      nodes.push(node);
      const ctr = await node.container();
      await node.must(plantCommand(PORT, OTHER, bulk));
      const planted = await table(node);
      expect(planted.length).toBe(7 + bulk);
      const r = await portmapAdd(node, ctr.path);
      expect(r.code).toBe(0);
      after[impl.name] = await table(node);
      if (impl === TSCNI) {
        await node.must(plantCommand(PORT, OTHER, bulk));
        using ns = NetNs.open(node.host.path);
        using ct = Conntrack.open(ns);
        expect([ct.deleteUdpByDstPort(AF_INET, [PORT], { kernelFilter: false }), ct.deleteUdpByDstPort(AF_INET6, [PORT], { kernelFilter: false })]).toEqual(["dump", "dump"]);
        after.dump = await table(node);
      }
    }
    const summary = (t: string[] | undefined): string => `${t?.length} entries left, ${t?.filter((e) => e.startsWith("udp") && e.endsWith(`->${PORT}`)).length} UDP to ${PORT}`;
    versus(`conntrack (${bulk} extra): ADD`, summary(after.tscni), summary(after["v1.9.1"]));
    versus(`conntrack (${bulk} extra): forced dump fallback`, summary(after.dump), summary(after["v1.9.1"]));
    expect(after.tscni).toEqual(after["v1.9.1"] ?? []);
    expect(after.dump).toEqual(after["v1.9.1"] ?? []);
    expect(after.dump?.filter((e) => e.startsWith("udp") && e.endsWith(`->${PORT}`))).toEqual([]);
    expect(after.dump?.length).toBe(4 + bulk / 2);
  });
});
