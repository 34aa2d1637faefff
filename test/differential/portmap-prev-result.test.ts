/**
 * portmap's prevResult and capabilities parsing vs the v1.9.1 oracle (issue #25): the same ADD
 * through both from an empty firewall. Where v1.9.1 answers with a result or an error, tscni's
 * exit code, stdout and the firewall afterwards are the same, byte for byte (Go's json type texts
 * included). The remaining differences are the documented ones (docs/compatibility.md): a null
 * entry in interfaces/ips/routes or an IP without an address, which v1.9.1 passes through (null,
 * "<nil>") or panics on (exit 2, no JSON); tscni refuses them as a config error, changing nothing.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustExec, requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";
import { type Json, normalizeNftRuleset } from "./normalize.ts";
import { countCase, v191 } from "./oracles.ts";
import { BridgeNames } from "./scenario-names.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const ENV = { TSCNI_FIREWALL_LOCK: join(mkdtempSync(join(tmpdir(), "tscni-pmprev-")), "fw.lock") };
let ns: TempNetns;

beforeAll(async () => {
  ns = await tempNetns();
});

type Conf = Record<string, unknown> & { prevResult: Record<string, unknown> & { interfaces: unknown[]; ips: unknown[] } };
type Mutation = (c: Conf) => void;

function conf(mutate: Mutation): Conf {
  const c: Conf = {
    cniVersion: "1.0.0",
    name: "n",
    type: "portmap",
    backend: "nftables",
    runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
    prevResult: { cniVersion: "1.0.0", interfaces: [{ name: "eth0", sandbox: ns.path }], ips: [{ address: "10.66.0.2/24", interface: 0 }] },
  };
  mutate(c);
  return c;
}

async function add(binary: string, c: Conf): Promise<{ code: number; stdout: string; firewall: Json }> {
  await mustExec(["nft", "flush", "ruleset"]);
  const r = await runCni(binary, { command: "ADD", containerId: "c1", netns: ns.path, ifname: "eth0", path: "/usr/lib/cni", stdin: c, env: ENV });
  const firewall = normalizeNftRuleset(JSON.parse(await mustExec(["nft", "-j", "list", "ruleset"])) as Json, new BridgeNames());
  return { code: r.code, stdout: r.stdout.replaceAll(ns.path, "@NETNS@"), firewall };
}

const SAME: [string, Mutation][] = [
  ["prevResult cniVersion \"\"", (c) => void (c.prevResult.cniVersion = "")],
  ["prevResult without cniVersion", (c) => void delete c.prevResult.cniVersion],
  ["prevResult cniVersion of another family", (c) => void (c.prevResult.cniVersion = "0.4.0")],
  ["interfaces[1] a string", (c) => void c.prevResult.interfaces.push("x")],
  ["interfaces[1] a number", (c) => void c.prevResult.interfaces.push(5)],
  ["interfaces[2] a string", (c) => void c.prevResult.interfaces.push({ name: "a" }, "x")],
  ["interfaces[1] an array", (c) => void c.prevResult.interfaces.push([])],
  ["interfaces[1].name a number", (c) => void c.prevResult.interfaces.push({ name: 5 })],
  ["interfaces null", (c) => void (c.prevResult.interfaces = null as unknown as unknown[])],
  ["dns a string", (c) => void (c.prevResult.dns = "x")],
  ["dns a number", (c) => void (c.prevResult.dns = 5)],
  ["dns an array", (c) => void (c.prevResult.dns = [])],
  ["dns null", (c) => void (c.prevResult.dns = null)],
  ["dns.nameservers a string", (c) => void (c.prevResult.dns = { nameservers: "x" })],
  ["capabilities.portMappings null", (c) => void (c.capabilities = { portMappings: null })],
  ["capabilities.portMappings a string", (c) => void (c.capabilities = { portMappings: "yes" })],
  ["capabilities null", (c) => void (c.capabilities = null)],
  ["ips an object", (c) => void (c.prevResult.ips = { address: "10.66.0.2/24" } as unknown as unknown[])],
  ["ips[0] a string", (c) => void (c.prevResult.ips[0] = "10.66.0.2/24")],
  ["ips[0] an array", (c) => void (c.prevResult.ips[0] = [])],
  ["ips[0].address an object", (c) => void (c.prevResult.ips[0] = { address: {}, interface: 0 })],
  ["ips[0].gateway an object", (c) => void (c.prevResult.ips[0] = { address: "10.66.0.2/24", gateway: {} })],
  ["ips[0].interface null", (c) => void (c.prevResult.ips[0] = { address: "10.66.0.2/24", interface: null })],
  ["routes a string", (c) => void (c.prevResult.routes = "x")],
  ["routes[0].dst a number", (c) => void (c.prevResult.routes = [{ dst: 5 }])],
];

describe("the same answer and firewall as v1.9.1", () => {
  test.each(SAME)("%s", async (_name, mutate) => {
    const c = conf(mutate);
    expect(await add(tscni("portmap"), c)).toEqual(await add(v191("portmap"), c));
    countCase("portmap", "ADD");
  });
});

/** v1.9.1's outcome for each documented difference: exit 0 with the null or "<nil>" passed on, or a panic. */
const DIFFERENT: [string, Mutation, { code: number; stdoutHas: string }][] = [
  ["interfaces[1] null", (c) => void c.prevResult.interfaces.push(null), { code: 0, stdoutHas: "null" }],
  ["interfaces[0] null (an IP points at it)", (c) => void (c.prevResult.interfaces[0] = null), { code: 2, stdoutHas: "" }],
  ["ips[0] null", (c) => void (c.prevResult.ips[0] = null), { code: 2, stdoutHas: "" }],
  ["ips[0] an object without address", (c) => void (c.prevResult.ips[0] = {}), { code: 0, stdoutHas: '"address": "\\u003cnil\\u003e"' }],
  ["routes[0] null", (c) => void (c.prevResult.routes = [null]), { code: 0, stdoutHas: "null" }],
];

describe("documented differences: tscni refuses what v1.9.1 passes on or panics on", () => {
  test.each(DIFFERENT)("%s", async (_name, mutate, theirs) => {
    const c = conf(mutate);
    const ref = await add(v191("portmap"), c);
    expect({ code: ref.code, has: ref.stdout.includes(theirs.stdoutHas) }).toEqual({ code: theirs.code, has: true });
    const ours = await add(tscni("portmap"), c);
    const err = JSON.parse(ours.stdout) as { code: number; msg: string };
    expect({ code: ours.code, json: err.code, prefix: err.msg.startsWith("failed to parse config: could not parse prevResult: could not parse prevResult: "), firewall: ours.firewall }).toEqual({
      code: 1,
      json: 999,
      prefix: true,
      firewall: [],
    });
    countCase("portmap", "ADD");
  });
});
