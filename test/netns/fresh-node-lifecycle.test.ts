/**
 * Fresh node, whole lifecycle (issue #21): on a brand-new host netns (nf_tables generation 1, empty
 * ruleset), empty /run and no dataDir, each plugin on each firewall backend runs ADD, CHECK, GC
 * (this attachment still valid), STATUS, DEL, DEL again and DEL without a netns, as a runtime
 * would. Every call ends under the hang bound and succeeds; after ADD the node holds the
 * attachment (its rules name the container, host-local holds its address), after GC it still
 * does, after the DELs nothing of it is left.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { BACKENDS, type BackendChoice, bridgeConf, hostLocalConf, loopbackConf, NETWORK, portmapConf, prevResult, withValid } from "./fresh-node-confs.ts";
import { CONTAINER_ID, type FreshNode, freshNode, HANG_BOUND_MS, type TimedReply } from "./fresh-node-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

interface Plugin {
  name: string;
  conf(backend: BackendChoice, dataDir: string, prev?: object): object;
  /** Whether an attachment shows in the ruleset (firewall plugins) and in dataDir (IPAM). */
  firewall: boolean;
  ipam: boolean;
}

const PLUGINS: Plugin[] = [
  { name: "bridge", conf: (b, d, prev) => ({ ...bridgeConf(b, d), ...(prev ? { prevResult: prev } : {}) }), firewall: true, ipam: true },
  { name: "portmap", conf: (b, _d, prev) => portmapConf(b, prev ?? prevResult()), firewall: true, ipam: false },
  { name: "host-local", conf: (_b, d, prev) => ({ ...hostLocalConf(d), ...(prev ? { prevResult: prev } : {}) }), firewall: false, ipam: true },
  { name: "loopback", conf: (_b, _d, prev) => ({ ...loopbackConf(), ...(prev ? { prevResult: prev } : {}) }), firewall: false, ipam: false },
];

const cases: [string, BackendChoice][] = [];
for (const p of PLUGINS) for (const b of p.firewall ? BACKENDS : (["auto"] as const)) cases.push([p.name, b]);

async function expectHeld(node: FreshNode, p: Plugin, held: boolean): Promise<void> {
  if (p.firewall) {
    const rules = await node.firewallText();
    expect({ rulesNameContainer: rules.includes(CONTAINER_ID) }).toEqual({ rulesNameContainer: held });
  } else {
    expect(await node.ruleset()).toBe("");
  }
  if (p.ipam) expect(node.reservations(NETWORK).length).toBe(held ? 1 : 0);
}

function ok(step: string, r: TimedReply): void {
  expect({ step, code: r.code, stderr: r.stderr, hang: r.ms >= HANG_BOUND_MS ? r.ms : false }).toEqual({ step, code: 0, stderr: "", hang: false });
}

describe("fresh node: ADD, CHECK, GC, STATUS, DEL, DEL, DEL without netns", () => {
  test.each(cases)("%s (backend %s)", async (name, backend) => {
    const p = PLUGINS.find((x) => x.name === name) as Plugin;
    await using node = await freshNode();
    const add = await node.call(name, "ADD", p.conf(backend, node.dataDir));
    ok("ADD", add);
    await expectHeld(node, p, true);
    const prev = add.json as object;
    ok("CHECK", await node.call(name, "CHECK", p.conf(backend, node.dataDir, prev)));
    ok("GC", await node.call(name, "GC", withValid(p.conf(backend, node.dataDir), [{ containerID: CONTAINER_ID, ifname: "eth0" }])));
    await expectHeld(node, p, true);
    ok("STATUS", await node.call(name, "STATUS", p.conf(backend, node.dataDir)));
    ok("DEL", await node.call(name, "DEL", p.conf(backend, node.dataDir, prev)));
    await expectHeld(node, p, false);
    ok("DEL again", await node.call(name, "DEL", p.conf(backend, node.dataDir, prev)));
    ok("DEL without netns", await node.call(name, "DEL", p.conf(backend, node.dataDir, prev), { noNetns: true }));
    await expectHeld(node, p, false);
  });
});
