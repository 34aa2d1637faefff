/**
 * A member named `__proto__` in a bridge config, against the live v1.9.1 oracle: Go's decoder
 * ignores it as an unknown key, so `"__proto__": {"ipMasq": true, "isGateway": true}` turns
 * neither on. Both ADDs must succeed and leave the same kind of nat state: no masquerade rule
 * and no gateway address on the bridge (the unit test test/unit/cni/go-json-proto.test.ts pins
 * the decoding itself).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { exec, repoRoot, requireIsolatedHost, runCni, tempDir, tempNetns, tscni } from "../harness.ts";
import { countCase } from "./oracles.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const V191 = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");
const data = tempDir("tscni-proto-key-");
afterAll(() => data[Symbol.dispose]());

/** The host's nat rules that mention `subnet`, and the global IPv4 addresses of `bridge`. */
async function leftBy(subnet: string, bridge: string): Promise<{ nat: string[]; bridgeAddrs: string[] }> {
  const save = await exec(["iptables-save", "-t", "nat"]);
  expect(save.code).toBe(0);
  const addr = await exec(["ip", "-o", "-4", "addr", "show", "dev", bridge]);
  expect(addr.code).toBe(0);
  return {
    nat: save.stdout.split("\n").filter((l) => l.includes(subnet)),
    bridgeAddrs: addr.stdout.split("\n").filter((l) => l.includes("inet ")),
  };
}

describe("bridge config with a __proto__ member, as v1.9.1", () => {
  test("ipMasq and isGateway hidden under __proto__ are ignored", async () => {
    const outcomes: { left: { nat: string[]; bridgeAddrs: string[] }; code: number }[] = [];
    for (const [i, binary] of [join(V191, "bridge"), tscni("bridge")].entries()) {
      await using ns = await tempNetns();
      const subnet = `10.23${i}.0`;
      const bridge = `brproto${i}`;
      const conf = `{"cniVersion":"1.0.0","name":"proto${i}","type":"bridge","bridge":"${bridge}","__proto__":{"ipMasq":true,"isGateway":true},"ipam":{"type":"host-local","subnet":"${subnet}.0/24","dataDir":"${data.path}"}}`;
      const r = await runCni(binary, { command: "ADD", containerId: `proto${i}`, netns: ns.path, ifname: "eth0", path: i === 0 ? V191 : join(repoRoot, "dist"), stdin: conf });
      if (r.code !== 0) throw new Error(`${binary} ADD: exit ${r.code}: ${r.stdout} ${r.stderr}`);
      outcomes.push({ left: await leftBy(subnet, bridge), code: r.code });
    }
    countCase("bridge", "ADD");
    expect(outcomes[0]).toEqual({ left: { nat: [], bridgeAddrs: [] }, code: 0 });
    expect(outcomes[1]).toEqual(outcomes[0]);
  });
});
