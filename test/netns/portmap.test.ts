/**
 * portmap end to end, both backends, in the runner's throwaway host netns: the container is wired
 * by tscni's bridge + host-local (IPAM in-process, CNI_PATH = dist/), the bridge's result is chained
 * into tscni portmap as prevResult exactly as a runtime runs a conflist, and
 * real TCP/UDP traffic reaches the container (a) from the host via the bridge gateway, (b) from a
 * client netns behind a veth, (c) from 127.0.0.1, (d) hairpin from the container itself, (e) only
 * via the configured hostIP; (f) transit traffic to the same port is not captured.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distDir, mustExec, requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni, wiredNetns } from "../harness.ts";
import { probe, serveTag, stopServers } from "../fixtures/traffic.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const work = mkdtempSync(join(tmpdir(), "tscni-pm-e2e-"));
const ENV = { TSCNI_FIREWALL_LOCK: join(work, "fw.lock") };
const nets: TempNetns[] = [];
let client: TempNetns;
let far: TempNetns;

async function sh(cmd: string): Promise<void> {
  await mustExec(["sh", "-c", cmd]);
}

beforeAll(async () => {
  await sh("ip link set lo up && sysctl -qw net.ipv4.ip_forward=1");
  client = await wiredNetns("pmcl", "192.168.77.1", "192.168.77.2");
  far = await wiredNetns("pmfar", "192.168.88.1", "192.168.88.2");
  nets.push(client, far);
  await serveTag(far, "far", { tcp: 8080, udp: 8053 });
});

afterAll(async () => {
  await stopServers();
  for (const n of nets) await n[Symbol.asyncDispose]();
});

const MAPPINGS = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8053, containerPort: 53, protocol: "udp" },
  { hostPort: 9090, containerPort: 80, protocol: "tcp", hostIP: "192.168.77.1" },
];

describe.each(["iptables", "nftables"] as const)("portmap %s", (backend) => {
  const subnet = backend === "iptables" ? "10.99.1" : "10.99.2";
  const bridgeConf = {
    cniVersion: "1.0.0",
    name: `pm-${backend}`,
    type: "bridge",
    bridge: `pmbr-${backend.slice(0, 3)}`,
    isGateway: true,
    hairpinMode: true,
    ipam: { type: "host-local", ranges: [[{ subnet: `${subnet}.0/24` }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: join(work, backend) },
  };
  const gateway = `${subnet}.1`;
  let ctr: TempNetns;
  let prevResult: Record<string, unknown>;
  const base = { command: "ADD", containerId: `ctr-${backend}`, ifname: "eth0", path: distDir, env: ENV };
  const pmConf = (): Record<string, unknown> => ({
    cniVersion: "1.0.0",
    name: `pm-${backend}`,
    type: "portmap",
    backend,
    runtimeConfig: { portMappings: MAPPINGS },
    prevResult,
  });

  beforeAll(async () => {
    ctr = await tempNetns({ lo: true });
    nets.push(ctr);
    const r = await runCni(tscni("bridge"), { ...base, netns: ctr.path, stdin: bridgeConf });
    expect(r.code).toBe(0);
    prevResult = r.json as Record<string, unknown>;
    await serveTag(ctr, `ctr-${backend}`, { tcp: 80, udp: 53 });
  });

  test("ADD passes prevResult through; CHECK passes", async () => {
    const r = await runCni(tscni("portmap"), { ...base, netns: ctr.path, stdin: pmConf() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(prevResult);
    const c = await runCni(tscni("portmap"), { ...base, command: "CHECK", netns: ctr.path, stdin: pmConf() });
    expect(c.stdout).toBe("");
    expect(c.code).toBe(0);
  });

  test("(a) from the host via the bridge gateway, TCP and UDP", async () => {
    expect(await probe(undefined, "tcp", gateway, 8080)).toBe(`ctr-${backend}`);
    expect(await probe(undefined, "udp", gateway, 8053)).toBe(`ctr-${backend}`);
  });

  test("(b) from a client netns behind a veth, TCP and UDP", async () => {
    expect(await probe(client, "tcp", "192.168.77.1", 8080)).toBe(`ctr-${backend}`);
    expect(await probe(client, "udp", "192.168.77.1", 8053)).toBe(`ctr-${backend}`);
  });

  test("(c) from 127.0.0.1 on the host (route_localnet set on the bridge)", async () => {
    expect(await probe(undefined, "tcp", "127.0.0.1", 8080)).toBe(`ctr-${backend}`);
    const sysctl = await mustExec(["sysctl", "-n", `net.ipv4.conf.${bridgeConf.bridge}.route_localnet`]);
    expect(sysctl.trim()).toBe("1");
  });

  test("(d) hairpin: the container reaches its own host port", async () => {
    expect(await probe(ctr, "tcp", gateway, 8080)).toBe(`ctr-${backend}`);
    expect(await probe(ctr, "udp", gateway, 8053)).toBe(`ctr-${backend}`);
  });

  test("(e) a hostIP mapping answers only on that address", async () => {
    expect(await probe(client, "tcp", "192.168.77.1", 9090)).toBe(`ctr-${backend}`);
    expect(await probe(client, "tcp", "192.168.88.1", 9090)).toStartWith("ERR");
    expect(await probe(undefined, "tcp", gateway, 9090)).toStartWith("ERR");
  });

  test("(f) transit traffic to the same port is not captured", async () => {
    expect(await probe(client, "tcp", "192.168.88.2", 8080)).toBe("far");
    expect(await probe(client, "udp", "192.168.88.2", 8053)).toBe("far");
  });

  test("DEL without the mappings (the runtime omitted them) removes the forwarding; ADD brings it back", async () => {
    const del = await runCni(tscni("portmap"), { ...base, command: "DEL", netns: ctr.path, stdin: { ...pmConf(), runtimeConfig: {} } });
    expect(del.code).toBe(0);
    expect(await probe(undefined, "tcp", gateway, 8080)).toStartWith("ERR");
    const add = await runCni(tscni("portmap"), { ...base, netns: ctr.path, stdin: pmConf() });
    expect(add.code).toBe(0);
    expect(await probe(undefined, "tcp", gateway, 8080)).toBe(`ctr-${backend}`);
  });

  test("DEL removes the forwarding; repeated DEL and DEL without mappings succeed", async () => {
    const del = await runCni(tscni("portmap"), { ...base, command: "DEL", netns: ctr.path, stdin: pmConf() });
    expect(del.stdout).toBe("");
    expect(del.code).toBe(0);
    expect(await probe(client, "tcp", "192.168.77.1", 8080)).toStartWith("ERR");
    const again = await runCni(tscni("portmap"), { ...base, command: "DEL", netns: "", stdin: { ...pmConf(), runtimeConfig: {} } });
    expect(again.code).toBe(0);
    const check = await runCni(tscni("portmap"), { ...base, command: "CHECK", netns: ctr.path, stdin: pmConf() });
    expect(check.code).toBe(1);
  });
});
