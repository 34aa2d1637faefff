/**
 * Fresh node, first call (issue #21): every plugin and verb that can come first on a node nothing
 * has configured yet — DEL (with and without a netns), GC, STATUS, CHECK — on every firewall
 * backend, each from its own brand-new host netns (nf_tables generation 1, empty ruleset), empty
 * /run and no dataDir. Each call must end under the hang bound, answer as the verb should, and
 * change nothing: the ruleset stays empty and the generation stays 1 (no batch was committed).
 * Before the fix, portmap DEL here sent an empty nf_tables batch and waited 2 × 10 s for a reply
 * the kernel never sends.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { BACKENDS, type BackendChoice, bridgeConf, hostLocalConf, loopbackConf, NETWORK, portmapConf, prevResult, withValid } from "./fresh-node-confs.ts";
import { freshNode, generation, HANG_BOUND_MS } from "./fresh-node-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

type Verb = "DEL" | "DEL without netns" | "GC" | "STATUS" | "CHECK";
const VERBS: readonly Verb[] = ["DEL", "DEL without netns", "GC", "STATUS", "CHECK"];

/**
 * Reference outcome on a node with nothing set up: only CHECK fails (nothing there to check),
 * except loopback's, which checks `lo` of a container that has it up.
 */
const succeeds = (plugin: string, verb: Verb): boolean => verb !== "CHECK" || plugin === "loopback";

function confFor(plugin: string, backend: BackendChoice, verb: Verb, dataDir: string): object {
  const base =
    plugin === "bridge" ? bridgeConf(backend, dataDir)
    : plugin === "portmap" ? portmapConf(backend, verb === "CHECK" ? prevResult() : undefined)
    : plugin === "host-local" ? hostLocalConf(dataDir)
    : loopbackConf();
  const withPrev = verb === "CHECK" && plugin !== "portmap" ? { ...base, prevResult: prevResult() } : base;
  return verb === "GC" ? withValid(withPrev, []) : withPrev;
}

const cases: [string, BackendChoice, Verb][] = [];
for (const plugin of ["portmap", "bridge"]) for (const backend of BACKENDS) for (const verb of VERBS) cases.push([plugin, backend, verb]);
for (const plugin of ["host-local", "loopback"]) for (const verb of VERBS) cases.push([plugin, "auto", verb]);

describe("fresh node: the first call of each verb hangs on nothing and changes nothing", () => {
  test.each(cases)("%s (backend %s) %s", async (plugin, backend, verb) => {
    await using node = await freshNode();
    expect(await generation(node.host)).toBe(1);
    const command = verb === "DEL without netns" ? "DEL" : verb;
    const r = await node.call(plugin, command, confFor(plugin, backend, verb, node.dataDir), { noNetns: verb === "DEL without netns" });
    expect({ ms: r.ms < HANG_BOUND_MS ? "under bound" : r.ms }).toEqual({ ms: "under bound" });
    if (succeeds(plugin, verb)) {
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    } else {
      expect(r.code).not.toBe(0);
      expect(r.json).toMatchObject({ code: expect.any(Number), msg: expect.any(String) });
    }
    expect(await node.ruleset()).toBe("");
    expect(await generation(node.host)).toBe(1);
    expect(node.reservations(NETWORK)).toEqual([]);
  });
});
