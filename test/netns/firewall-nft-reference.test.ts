/**
 * The nftables backends written over netlink against the v1.9.1 reference's own writes: the same
 * portmap (backend nftables) and bridge masquerade (ipMasqBackend nftables) ADDs, run once by the
 * reference and once by tscni on an emptied ruleset, must leave the same `nft list ruleset`
 * (printed without handles, so handles are the only thing not compared). tscni's DEL then
 * removes what the reference wrote, and the other way round.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { repoRoot, requireIsolatedHost, runCni, tscni } from "../harness.ts";
import { V191_DIR } from "../differential/oracles.ts";
import { DUAL_STACK_PREV_RESULT as prevResult, firewallFixture, flushRuleset, ruleset } from "./firewall-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

// Importing oracles.ts fails this file when the v1.9.1 oracle is missing or altered.
const REF = V191_DIR;
const fx = firewallFixture("tscni-nftref-");
const ENV = fx.env;
const work = fx.work;

const flush = flushRuleset;


const portmapConf = (over: object = {}) => ({
  cniVersion: "1.0.0",
  name: "pmnet",
  type: "portmap",
  backend: "nftables",
  snat: true,
  prevResult,
  runtimeConfig: {
    portMappings: [
      { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 8081, containerPort: 81, protocol: "udp", hostIP: "192.168.1.5" },
      { hostPort: 8082, containerPort: 82, protocol: "tcp", hostIP: "fd00::5" },
    ],
  },
  ...over,
});

const bridgeConf = (ipamDir: string) => ({
  cniVersion: "1.0.0",
  name: "brnet",
  type: "bridge",
  bridge: "brref0",
  isGateway: true,
  ipMasq: true,
  ipMasqBackend: "nftables",
  ipam: { type: "host-local", dataDir: join(work, ipamDir), ranges: [[{ subnet: "10.66.0.0/24" }], [{ subnet: "fd66::/64" }]] },
});

async function call(bin: string, command: string, conf: object, containerId: string, ifname = "eth0") {
  const path = bin.startsWith(REF) ? REF : join(repoRoot, "dist");
  return runCni(bin, { command, containerId, netns: fx.netns(), ifname, path, stdin: conf, env: ENV });
}

describe("nftables writes equal the v1.9.1 reference's", () => {
  test("portmap backend nftables: same ruleset; each DEL removes the other's rules", async () => {
    await flush();
    const ref = await call(join(REF, "portmap"), "ADD", portmapConf(), "ctr_1-a.b");
    expect({ code: ref.code, stderr: ref.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(ref.stdout)).toEqual(JSON.parse(JSON.stringify(prevResult)));
    const theirs = await ruleset();
    expect(theirs).toContain("dnat to 10.0.0.2:80");
    await flush();
    const mine = await call(tscni("portmap"), "ADD", portmapConf(), "ctr_1-a.b");
    expect({ code: mine.code, stderr: mine.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await ruleset()).toBe(theirs);
    // tscni's DEL removes the reference's rules (found by comment over netlink), and vice versa.
    await flush();
    expect((await call(join(REF, "portmap"), "ADD", portmapConf(), "ctr_1-a.b")).code).toBe(0);
    expect(await ruleset()).toBe(theirs);
    expect((await call(tscni("portmap"), "DEL", portmapConf(), "ctr_1-a.b")).code).toBe(0);
    const left = await ruleset();
    expect(left).not.toContain("ctr_1-a.b");
    await flush();
    expect((await call(tscni("portmap"), "ADD", portmapConf(), "ctr_1-a.b")).code).toBe(0);
    expect(await ruleset()).toBe(theirs);
    expect((await call(join(REF, "portmap"), "DEL", portmapConf(), "ctr_1-a.b")).code).toBe(0);
    expect(await ruleset()).toBe(left);
  });

  test("portmap backend nftables with masqAll: the reference ignores the option, and so does tscni", async () => {
    const conf = portmapConf({ masqAll: true });
    await flush();
    expect((await call(join(REF, "portmap"), "ADD", conf, "ctr2")).code).toBe(0);
    const theirs = await ruleset();
    expect(theirs).toContain("ip saddr 127.0.0.1 ip daddr 10.0.0.2 masquerade");
    await flush();
    const mine = await call(tscni("portmap"), "ADD", conf, "ctr2");
    expect({ code: mine.code, stderr: mine.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await ruleset()).toBe(theirs);
    expect((await call(tscni("portmap"), "CHECK", conf, "ctr2")).code).toBe(0);
  });

  test("bridge ipMasqBackend nftables: same masquerade table, hostile interface name included", async () => {
    const del = async (bin: string, id: string, ifname: string) => call(bin, "DEL", bridgeConf(bin), id, ifname);
    await flush();
    // Each implementation its own (fresh) host-local dataDir, so both get the same addresses.
    const ref = await call(join(REF, "bridge"), "ADD", bridgeConf(join(REF, "bridge")), "c1", "e{#x");
    expect({ code: ref.code, stderr: ref.stderr }).toEqual({ code: 0, stderr: "" });
    const theirs = await ruleset();
    expect(theirs).toContain("cni_plugins_masquerade");
    expect((await del(join(REF, "bridge"), "c1", "e{#x")).code).toBe(0);
    await flush();
    const mine = await call(tscni("bridge"), "ADD", bridgeConf(tscni("bridge")), "c1", "e{#x");
    expect({ code: mine.code, stderr: mine.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await ruleset()).toBe(theirs);
    expect((await del(tscni("bridge"), "c1", "e{#x")).code).toBe(0);
    expect(await ruleset()).not.toContain("masquerade comment");
  });
});
