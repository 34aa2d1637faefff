/**
 * TSCNI_PROFILE through the compiled binary with nested in-process delegates (tscni-chain →
 * bridge → host-local): every phase is charged to the plugin that ran it, so bridge's work before
 * and after its IPAM call is `bridge:verb`, host-local's is `host-local:*`, the chain's own steps
 * stay unprefixed, and the phases still sum to `total`.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { parseProfileLines } from "../../src/profile.ts";
import { distDir, NETNS_TIMEOUT, requireIsolatedHost, runCni, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

/** The phase names of the line, in order, repeats kept. */
function phaseSequence(stderr: string): string[] {
  const line = stderr.split("\n").find((l) => l.startsWith("tscni-profile ")) ?? "";
  const body = / \S+ \S* (.*) total=/.exec(line)?.[1] ?? "";
  return body.split(" ").map((kv) => kv.slice(0, kv.lastIndexOf("=")));
}

test(
  "chain → bridge → host-local: phases named by the plugin that ran them, summing to total",
  async () => {
    await using ns = await tempNetns();
    using dir = tempDir();
    const conf = {
      cniVersion: "1.0.0",
      name: "prof-net",
      type: "tscni-chain",
      plugins: [{ type: "bridge", bridge: "profbr0", isGateway: true, ipam: { type: "host-local", subnet: "10.77.0.0/24", dataDir: join(dir.path, "ipam") } }],
    };
    const r = await runCni(tscni("tscni-chain"), { command: "ADD", containerId: "c1", netns: ns.path, ifname: "eth0", path: distDir, stdin: conf, env: { TSCNI_PROFILE: "1" } });
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ips: [{ address: "10.77.0.2/24" }] });
    const seq = phaseSequence(r.stderr);
    // bridge's work up to its IPAM call is its own, not the chain's.
    const ipam = seq.indexOf("host-local:stdin");
    expect(ipam).toBeGreaterThan(0);
    expect(seq[ipam - 1]).toBe("bridge:verb");
    expect(seq.slice(ipam)).toEqual(expect.arrayContaining(["host-local:decode", "host-local:load", "host-local:verb", "host-local:output"]));
    // After host-local: bridge's rest, then bridge's output, then the chain's own verb and output.
    const after = seq.slice(seq.indexOf("host-local:output") + 1);
    expect(after).toEqual(["bridge:verb", "bridge:output", "verb", "output"]);
    // The chain's own phases before bridge: unprefixed, ending with its verb.
    const bridgeStart = seq.indexOf("bridge:stdin");
    expect(seq.slice(0, bridgeStart).every((p) => !p.includes(":"))).toBe(true);
    expect(seq[bridgeStart - 1]).toBe("verb");
    const [rec] = parseProfileLines(r.stderr);
    expect(rec?.label).toBe("tscni-chain ADD");
    const sum = [...(rec?.phases.values() ?? [])].reduce((s, p) => s + p.wall, 0);
    expect(Math.abs(sum - (rec?.total.wall ?? -1))).toBeLessThan(0.01 * seq.length);
  },
  NETNS_TIMEOUT,
);
