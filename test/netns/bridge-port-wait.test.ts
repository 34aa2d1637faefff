/**
 * The wait at the end of bridge ADD is for the host end to be up and taken in by the bridge, never
 * for STP's forwarding state: on a bridge running STP a new port listens and learns for
 * 2 x forward_delay (30 s by default) and the reference does not wait for that. Flannel's delegate
 * config (isDefaultGateway, forceAddress, hairpinMode) onto an existing STP bridge: ADD succeeds
 * within a 2 s hang bound (it failed after 2.55 s with "bridge port in error state: up"); on a
 * bridge without STP the port is forwarding when ADD returns.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { bridgeCall } from "../fixtures/bridge/support.ts";
import { exec, requireIsolatedHost, tempNetns } from "../harness.ts";
import { link } from "./bridge-fixture.ts";
import { bridgeNetworks } from "./bridge-networks.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

/** Not a performance assertion: a call that waits on something that will not come takes >= 2.55 s. */
const HANG_BOUND_MS = 2_000;

const { net } = bridgeNetworks("tscni-bridge-port-wait-");
const flannel = () => net({ isGateway: true, ipMasq: false, hairpinMode: true, forceAddress: true, isDefaultGateway: true });

async function ip(...args: string[]): Promise<void> {
  const r = await exec(["ip", ...args]);
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: "" });
}

describe("bridge ADD waits for the port to be up, not for STP forwarding", () => {
  test("existing bridge with STP on: ADD succeeds at once, the port still listening", async () => {
    await using ns = await tempNetns();
    const conf = flannel();
    const br = String(conf.bridge);
    await ip("link", "add", br, "type", "bridge", "stp_state", "1");
    await ip("link", "set", br, "up");
    const t0 = performance.now();
    const r = await bridgeCall(conf, { command: "ADD", netns: ns.path });
    const ms = performance.now() - t0;
    expect({ code: r.code, stdout: r.code === 0 ? "" : r.stdout }).toEqual({ code: 0, stdout: "" });
    expect(ms).toBeLessThan(HANG_BOUND_MS);
    const hostVeth = String((r.json as { interfaces: { name: string }[] }).interfaces[1]?.name);
    const port = await link(hostVeth);
    expect(port?.master).toBe(br);
    expect(port?.operstate).toBe("UP");
    expect(port?.linkinfo?.info_slave_data?.state).toBe("listening");
    expect(port?.linkinfo?.info_slave_data?.hairpin).toBe(true);
    const del = await bridgeCall(conf, { command: "DEL", netns: ns.path });
    expect(del.code).toBe(0);
    expect(await link(hostVeth)).toBeUndefined();
  });

  test("bridge without STP (the one ADD creates): the port is forwarding when ADD returns", async () => {
    await using ns = await tempNetns();
    const conf = flannel();
    const t0 = performance.now();
    const r = await bridgeCall(conf, { command: "ADD", netns: ns.path });
    expect(r.code).toBe(0);
    expect(performance.now() - t0).toBeLessThan(HANG_BOUND_MS);
    const hostVeth = String((r.json as { interfaces: { name: string }[] }).interfaces[1]?.name);
    const port = await link(hostVeth);
    expect(port?.operstate).toBe("UP");
    expect(port?.linkinfo?.info_slave_data?.state).toBe("forwarding");
    expect((await bridgeCall(conf, { command: "DEL", netns: ns.path })).code).toBe(0);
  });
});
