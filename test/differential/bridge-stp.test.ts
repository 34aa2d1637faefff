/**
 * ADD onto an existing bridge that runs STP (an operator's or NetworkManager's bridge, stp on by
 * default there): a new port spends 2 x forward_delay (30 s) listening and learning. v1.9.1 waits
 * only for the host veth's operstate UP, so it succeeds at once; tscni waited for "forwarding",
 * reached the 2.55 s bound and failed the ADD ("bridge port in error state: up"). Flannel's delegate
 * config (isDefaultGateway, forceAddress, hairpinMode) through v1.9.1 and tscni, each in a fresh
 * world: same exit code, stdout and stderr, same world after ADD (port state included) and after DEL.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { bridgeCall, type Impl, outcome, privateVarLib, REF, resetDataDir, TS, world, worldState } from "../fixtures/bridge/support.ts";
import { countCase } from "./oracles.ts";
import { BridgeNames } from "./scenario-names.ts";

requireIsolatedHost();

beforeAll(() => privateVarLib());

const FLANNEL = {
  cniVersion: "1.0.0",
  name: "cbr0",
  type: "bridge",
  bridge: "cni0",
  isGateway: true,
  ipMasq: false,
  hairpinMode: true,
  forceAddress: true,
  isDefaultGateway: true,
  ipam: { type: "host-local", ranges: [[{ subnet: "10.42.0.0/24" }]], routes: [{ dst: "10.42.0.0/16" }] },
};

async function run(impl: Impl): Promise<unknown> {
  resetDataDir();
  await using w = await world(1);
  const netns = w.containers[0]?.path ?? "";
  for (const argv of [
    ["ip", "link", "add", "cni0", "type", "bridge", "stp_state", "1"],
    ["ip", "link", "set", "cni0", "up"],
  ]) {
    const r = await w.host.run(argv);
    expect({ argv, code: r.code, stderr: r.stderr }).toEqual({ argv, code: 0, stderr: "" });
  }
  const names = new BridgeNames();
  names.path(netns, "@NETNS0@");
  const add = await bridgeCall(FLANNEL, { impl, host: w.host, command: "ADD", netns });
  const afterAdd = await worldState(w, names);
  const del = await bridgeCall(FLANNEL, { impl, host: w.host, command: "DEL", netns });
  const afterDel = await worldState(w, names);
  return { add: outcome(add, names), afterAdd, del: outcome(del, names), afterDel };
}

describe("ADD onto a bridge running STP: the port is up, not yet forwarding; ADD succeeds as in v1.9.1", () => {
  test("flannel's delegate config", async () => {
    const theirs = (await run(REF)) as { add: { code: number }; afterAdd: unknown };
    expect(theirs.add.code).toBe(0);
    // The port really is still in STP's listening state: the case this file is about.
    expect(JSON.stringify(theirs.afterAdd)).toContain('"state":"listening"');
    expect(await run(TS)).toEqual(theirs);
    countCase("bridge", "ADD");
    countCase("bridge", "DEL");
  }, 120_000);
});
