/**
 * Fresh node on every node variant (issue #21): for each firewall tooling (system iptables-nft +
 * nft, iptables-legacy first on PATH, nft only, no tool at all), each plugin and each backend
 * choice, a brand-new node (host netns at nf_tables generation 1, empty ruleset, empty /run, no
 * dataDir, tscni's default firewall lock under /run) first gets the verbs that can arrive before
 * any ADD — DEL, DEL without a netns, GC, STATUS — then ADD, CHECK, DEL, DEL without a netns.
 * Every call ends under the hang bound with exit 0 or a CNI error; a node that could not ADD holds
 * nothing afterwards; one that could holds the attachment until DEL and nothing after it — in
 * nf_tables, iptables-nft and iptables-legacy alike.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CniReply } from "../harness.ts";
import { requireIsolatedHost } from "../harness.ts";
import { BACKENDS, type BackendChoice, bridgeConf, hostLocalConf, loopbackConf, NETWORK, portmapConf, prevResult, withValid } from "../netns/fresh-node-confs.ts";
import { CONTAINER_ID, HANG_BOUND_MS } from "../netns/fresh-node-fixture.ts";
import { makeNode, type Node, type Tools, TSCNI } from "./node.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const TOOLS: readonly Tools[] = ["system", "legacy", "nft-only", "none"];
/** Every place a rule can live on these nodes; a tool that is absent prints nothing. */
const FIREWALL_DUMP = "nft list ruleset; for t in iptables-nft-save ip6tables-nft-save iptables-legacy-save ip6tables-legacy-save; do $t 2>/dev/null; done";

const cases: [Tools, string, BackendChoice][] = [];
for (const tools of TOOLS) {
  for (const plugin of ["bridge", "portmap"]) for (const backend of BACKENDS) cases.push([tools, plugin, backend]);
  for (const plugin of ["host-local", "loopback"]) cases.push([tools, plugin, "auto"]);
}

function confOf(plugin: string, backend: BackendChoice, dataDir: string, prev?: object): object {
  const base =
    plugin === "bridge" ? bridgeConf(backend, dataDir)
    : plugin === "portmap" ? portmapConf(backend, prev ?? prevResult())
    : plugin === "host-local" ? hostLocalConf(dataDir)
    : loopbackConf();
  return prev === undefined || plugin === "portmap" ? base : { ...base, prevResult: prev };
}

const nodes: Node[] = [];
afterAll(async () => {
  for (const n of nodes) await n[Symbol.asyncDispose]();
});

beforeAll(() => {
  expect(TSCNI.name).toBe("tscni");
});

interface Timed extends CniReply {
  ms: number;
}

/** What a call must be whatever the variant: answered under the bound, success or a CNI error. */
function answered(step: string, r: Timed): void {
  const shape = r.code === 0 ? "ok" : typeof r.json === "object" && r.json !== null && "code" in r.json && "msg" in r.json ? "cni-error" : `exit ${r.code}: ${r.stdout}${r.stderr}`;
  expect({ step, hang: r.ms >= HANG_BOUND_MS ? r.ms : false, shape: shape === "ok" || shape === "cni-error" ? "answered" : shape }).toEqual({ step, hang: false, shape: "answered" });
}

describe("fresh node on every variant: every verb answers at once; state follows ADD and DEL", () => {
  test.each(cases)("%s tools, %s (backend %s)", async (tools, plugin, backend) => {
    for (const entry of readdirSync("/run")) rmSync(join("/run", entry), { recursive: true, force: true });
    const node = await makeNode(TSCNI, { tools });
    nodes.push(node);
    const ctr = await node.container();
    const dataDir = join(mkdtempSync(join(tmpdir(), "tscni-fresh-variant-")), "networks");
    const call = async (command: string, conf: object, netns = ctr.path): Promise<Timed> => {
      const start = performance.now();
      const r = await node.call(plugin, { command, containerId: CONTAINER_ID, netns, stdin: conf, env: { TSCNI_FIREWALL_LOCK: undefined } });
      return { ...r, ms: performance.now() - start };
    };
    const held = async (): Promise<{ rules: boolean; address: boolean }> => {
      let address = false;
      try {
        address = readdirSync(join(dataDir, NETWORK)).some((f) => f.startsWith("10.77."));
      } catch {
        // no dataDir: nothing reserved
      }
      return { rules: (await node.must(FIREWALL_DUMP)).includes(CONTAINER_ID), address };
    };
    const nothing = { rules: false, address: false };

    const conf = confOf(plugin, backend, dataDir);
    for (const [step, r] of [
      ["cold DEL", await call("DEL", conf)],
      ["cold DEL without netns", await call("DEL", conf, "")],
      ["cold GC", await call("GC", withValid(conf, []))],
      ["cold STATUS", await call("STATUS", conf)],
    ] as const) {
      answered(step, r);
      if (step !== "cold STATUS") expect({ step, code: r.code }).toEqual({ step, code: 0 });
    }
    expect(await held()).toEqual(nothing);

    const add = await call("ADD", conf);
    answered("ADD", add);
    if (add.code !== 0) {
      expect(await held()).toEqual(nothing);
      return;
    }
    const prev = add.json as object;
    const attached = await held();
    expect(attached.rules).toBe(plugin === "portmap" || plugin === "bridge");
    expect(attached.address).toBe(plugin === "bridge" || plugin === "host-local");
    for (const [step, r] of [
      ["CHECK", await call("CHECK", confOf(plugin, backend, dataDir, prev))],
      ["DEL", await call("DEL", confOf(plugin, backend, dataDir, prev))],
      ["DEL without netns", await call("DEL", confOf(plugin, backend, dataDir, prev), "")],
    ] as const) {
      answered(step, r);
      expect({ step, code: r.code, out: r.code === 0 ? "" : r.stdout }).toEqual({ step, code: 0, out: "" });
    }
    expect(await held()).toEqual(nothing);
  });
});
