/**
 * A SIGKILL at any point of a firewall call leaves the old ruleset or the new one, never a mix:
 * the netlink path sends each call's changes as one nf_tables batch, which the kernel applies
 * whole or not at all. Enumerated, not random: the plugin runs under
 * `strace -e inject=sendto:signal=SIGKILL:when=N` for N = 1, 2, … (every netlink send: reads,
 * the batch, conntrack) until a run completes; after each killed run the ruleset must equal the
 * state before the call or the state a complete call leaves.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {distDir, requireIsolatedHost, runCni, tscni } from "../harness.ts";
import { firewallFixture, flushRuleset, ruleset } from "./firewall-fixture.ts";
import { freshNode, HANG_BOUND_MS } from "./fresh-node-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(300_000);

const fx = firewallFixture("tscni-crash-");
const ENV = fx.env;

const conf = (backend: string) => ({
  cniVersion: "1.0.0",
  name: "crashnet",
  type: "portmap",
  backend,
  snat: true,
  prevResult: {
    cniVersion: "1.0.0",
    interfaces: [{ name: "eth0", sandbox: "/x" }],
    ips: [
      { address: "10.0.0.2/24", interface: 0 },
      { address: "fd00::2/64", interface: 0 },
    ],
  },
  // The UDP mapping makes a conntrack flush follow the batch: a kill there must find the new state.
  runtimeConfig: {
    portMappings: [
      { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 9090, containerPort: 90, protocol: "tcp", hostIP: "fd00::9" },
      { hostPort: 5353, containerPort: 53, protocol: "udp" },
    ],
  },
});

async function portmap(command: string, backend: string, killAt?: number) {
  const prefix = killAt === undefined ? [] : ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=sendto", "-e", `inject=sendto:signal=SIGKILL:when=${killAt}`];
  return runCni(tscni("portmap"), { command, containerId: "crash1", netns: fx.netns(), ifname: "eth0", path: distDir, stdin: conf(backend), env: ENV, prefix });
}

/** Brings the ruleset to the state the call starts from: empty, or after a complete ADD. */
async function start(verb: string, backend: string): Promise<void> {
  await flushRuleset();
  if (verb === "DEL") expect((await portmap("ADD", backend)).code).toBe(0);
}

describe("SIGKILL during a firewall call: old or new ruleset", () => {
  test.each([
    ["ADD", "nftables"],
    ["DEL", "nftables"],
    // iptables-nft node: ADD is one in-process batch for both families too, no iptables-restore.
    ["ADD", "iptables"],
    ["DEL", "iptables"],
  ])("portmap %s, backend %s", async (verb, backend) => {
    await start(verb, backend);
    const before = await ruleset();
    expect((await portmap(verb, backend)).code).toBe(0);
    const after = await ruleset();
    expect(after).not.toBe(before);
    const seen = { old: 0, new: 0 };
    for (let n = 1; n <= 60; n++) {
      await start(verb, backend);
      const r = await portmap(verb, backend, n);
      const now = await ruleset();
      expect({ n, state: now === before ? "old" : now === after ? "new" : now }).toEqual({ n, state: now === after ? "new" : "old" });
      if (r.code === 0) break;
      seen[now === before ? "old" : "new"]++;
    }
    // Kills landed on both sides of the one batch: before it (old) and after it (new).
    expect(seen.old).toBeGreaterThan(0);
    expect(seen.new).toBeGreaterThan(0);
  });
});

/**
 * The same on a fresh node (issue #21): each run starts from a brand-new host netns (nf_tables
 * generation 1, empty ruleset, empty /run) with the backend left open, so the kills also land in
 * the backend probe. A killed ADD leaves nothing or everything; a killed DEL (nothing to remove)
 * leaves nothing; the run that is not killed ends under the hang bound.
 */
describe("SIGKILL during a call on a fresh node: old or new ruleset, no hang", () => {
  const fresh = (verb: string, killAt?: number) => async () => {
    await using node = await freshNode();
    const prefix = killAt === undefined ? [] : ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=sendto", "-e", `inject=sendto:signal=SIGKILL:when=${killAt}`];
    const { backend: _open, ...auto } = conf("auto");
    const r = await runCni(tscni("portmap"), { command: verb, containerId: "crash1", netns: node.container.path, ifname: "eth0", path: distDir, stdin: auto, prefix: ["nsenter", `--net=${node.host.path}`, "--", ...prefix] });
    return { r, rules: await node.firewallText() };
  };

  test.each(["ADD", "DEL"])("portmap %s, backend left open", async (verb) => {
    const start = performance.now();
    const complete = await fresh(verb)();
    expect(performance.now() - start).toBeLessThan(HANG_BOUND_MS + 1000);
    expect(complete.r.code).toBe(0);
    const before = (await fresh("DEL", 1)()).rules.replace(/^#.*\n/gm, ""); // a node nothing could change
    const after = complete.rules.replace(/^#.*\n/gm, "");
    if (verb === "DEL") expect(after).toBe(before);
    else expect(after).not.toBe(before);
    const seen = { old: 0, new: 0 };
    for (let n = 1; n <= 60; n++) {
      const { r, rules } = await fresh(verb, n)();
      const now = rules.replace(/^#.*\n/gm, "");
      expect({ n, now }).toEqual({ n, now: now === before ? before : after });
      if (r.code === 0) break;
      seen[now === before ? "old" : "new"]++;
    }
    // Kills landed before the batch; for ADD also after it (a DEL here has no batch to send).
    expect(seen.old).toBeGreaterThan(0);
    if (verb === "ADD") expect(seen.new).toBeGreaterThan(0);
  });
});
