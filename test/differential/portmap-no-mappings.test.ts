/**
 * portmap without port mappings (containerd's default chain runs it so on every pod: no
 * runtimeConfig, or `portMappings: []`) vs the v1.9.1 oracle: ADD, CHECK and DEL for every
 * cniVersion with a dual-stack bridge-like prevResult of that version, and the config errors the
 * reference finds before it looks at the mappings (types, mark bit, backend, conditions,
 * prevResult). Exit code, stdout and stderr the same, byte for byte; the firewall unchanged by
 * either (tscni's DEL only looks up the container's chains by name).
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustExec, requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";
import { countCase, v191 } from "./oracles.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const ENV = { TSCNI_FIREWALL_LOCK: join(mkdtempSync(join(tmpdir(), "tscni-pm0-")), "fw.lock") };
const VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];
let ns: TempNetns;

beforeAll(async () => {
  ns = await tempNetns();
  // Another pod's forwarding in place (shared chains in both families), as on a busy node.
  const r = await runCni(tscni("portmap"), {
    command: "ADD",
    containerId: "other",
    netns: ns.path,
    ifname: "eth0",
    path: "/usr/lib/cni",
    env: ENV,
    stdin: { ...conf("1.0.0"), runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] } },
  });
  expect(r.code).toBe(0);
});

/** What bridge (dual-stack, host-local) hands on, in `version`'s wire form. */
function prevResult(version: string): Record<string, unknown> {
  if (version === "0.1.0" || version === "0.2.0") {
    return {
      cniVersion: version,
      ip4: { ip: "10.88.0.5/16", gateway: "10.88.0.1", routes: [{ dst: "0.0.0.0/0" }] },
      ip6: { ip: "fd00:88::5/64", gateway: "fd00:88::1", routes: [{ dst: "::/0", gw: "fd00:88::1" }] },
      dns: {},
    };
  }
  const tagged = version.startsWith("0.");
  return {
    cniVersion: version,
    interfaces: [
      { name: "cni0", mac: "0a:58:0a:58:00:01" },
      { name: "veth1234abcd", mac: "6a:1f:5b:89:91:1b" },
      { name: "eth0", mac: "52:c9:c4:35:ed:23", sandbox: "/var/run/netns/cni-5f4e3d2c" },
    ],
    ips: [
      { ...(tagged && { version: "4" }), address: "10.88.0.5/16", gateway: "10.88.0.1", interface: 2 },
      { ...(tagged && { version: "6" }), address: "fd00:88::5/64", gateway: "fd00:88::1", interface: 2 },
    ],
    routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
    dns: {},
  };
}

function conf(version: string, extra: Record<string, unknown> = {}, prev: Record<string, unknown> | undefined = prevResult(version)): Record<string, unknown> {
  return { cniVersion: version, name: "containerd-net", type: "portmap", capabilities: { portMappings: true }, ...(prev && { prevResult: prev }), ...extra };
}

async function firewall(): Promise<string> {
  return (await mustExec(["iptables-save"])).replace(/^#.*\n/gm, "") + (await mustExec(["ip6tables-save"])).replace(/^#.*\n/gm, "") + (await mustExec(["nft", "list", "ruleset"]));
}

/** ADD, CHECK, DEL: each outcome, and whether the firewall stayed as it was. */
async function run(binary: string, stdin: Record<string, unknown>): Promise<unknown[]> {
  const before = await firewall();
  const out: unknown[] = [];
  for (const command of ["ADD", "CHECK", "DEL"]) {
    const r = await runCni(binary, { command, containerId: "pod1", netns: ns.path, ifname: "eth0", path: "/usr/lib/cni", stdin, env: ENV });
    out.push({ command, code: r.code, stdout: r.stdout.replaceAll(ns.path, "@NETNS@"), stderr: r.stderr });
  }
  out.push({ firewallUnchanged: (await firewall()) === before });
  return out;
}

async function compare(stdin: Record<string, unknown>): Promise<void> {
  expect(await run(tscni("portmap"), stdin)).toEqual(await run(v191("portmap"), stdin));
  for (const verb of ["ADD", "CHECK", "DEL"]) countCase("portmap", verb);
}

describe("no mappings, every version: the prevResult printed back, CHECK and DEL succeed", () => {
  const cases: [string, Record<string, unknown>][] = [];
  for (const v of VERSIONS) {
    cases.push([`${v}, no runtimeConfig`, conf(v)], [`${v}, portMappings []`, conf(v, { runtimeConfig: { portMappings: [] } })]);
  }
  cases.push(
    ["1.1.0 config, 1.0.0 prevResult", conf("1.1.0", {}, prevResult("1.0.0"))],
    ["0.4.0 config, 0.3.1 prevResult", conf("0.4.0", {}, prevResult("0.3.1"))],
    ["1.0.0, portMappings null", conf("1.0.0", { runtimeConfig: { portMappings: null } })],
    ["1.0.0, runtimeConfig {}", conf("1.0.0", { runtimeConfig: {} })],
    ["1.0.0, every option valid", conf("1.0.0", { backend: "iptables", snat: false, masqAll: true, markMasqBit: 5, conditionsV4: ["-s", "10.0.0.0/8"] })],
    ["1.0.0, nftables", conf("1.0.0", { backend: "nftables", conditionsV6: ["ip6", "saddr", "fd00::/8"] })],
    ["1.0.0, externalSetMarkChain", conf("1.0.0", { externalSetMarkChain: "KUBE-MARK-MASQ" })],
  );
  test.each(cases)("%s", (_name, stdin) => compare(stdin));
});

describe("no mappings: the reference's config errors still come first", () => {
  const bad: [string, Record<string, unknown>][] = [
    ["snat a string", { snat: "yes" }],
    ["masqAll a number", { masqAll: 1 }],
    ["markMasqBit 32", { markMasqBit: 32 }],
    ["markMasqBit -1", { markMasqBit: -1 }],
    ["markMasqBit a string", { markMasqBit: "13" }],
    ["markMasqBit and externalSetMarkChain", { markMasqBit: 13, externalSetMarkChain: "KUBE-MARK-MASQ" }],
    ["externalSetMarkChain a number", { externalSetMarkChain: 5 }],
    ["unknown backend", { backend: "bogus" }],
    ["backend a number", { backend: 5 }],
    ["conditionsV4 a string", { conditionsV4: "-s 10.0.0.0/8" }],
    ["conditionsV6 holding a number", { conditionsV6: [5] }],
    ["nftables with externalSetMarkChain", { backend: "nftables", externalSetMarkChain: "KUBE-MARK-MASQ" }],
    ["iptables with nft conditions", { backend: "iptables", conditionsV4: ["ip", "saddr", "10.0.0.0/8"] }],
    ["unknown backend with externalSetMarkChain", { backend: "bogus", externalSetMarkChain: "KUBE-MARK-MASQ" }],
    ["runtimeConfig a string", { runtimeConfig: "x" }],
    ["portMappings an object", { runtimeConfig: { portMappings: {} } }],
  ];
  const cases: [string, Record<string, unknown>][] = [];
  for (const [name, extra] of bad) cases.push([`${name} (1.0.0)`, conf("1.0.0", extra)], [`${name} (0.4.0)`, conf("0.4.0", extra)]);
  const prev = prevResult("1.0.0") as { ips: Record<string, unknown>[] };
  cases.push(
    ["no prevResult", conf("1.0.0", {}, undefined)],
    ["no prevResult, portMappings []", conf("1.0.0", { runtimeConfig: { portMappings: [] } }, undefined)],
    ["prevResult of another version family", conf("1.0.0", {}, prevResult("0.4.0"))],
    ["prevResult ips an object", conf("1.0.0", {}, { ...prev, ips: { address: "10.88.0.5/16" } })],
    ["prevResult interfaces[0] a string", conf("1.0.0", {}, { ...prev, interfaces: ["eth0"] })],
  );
  test.each(cases)("%s", (_name, stdin) => compare(stdin));
});
