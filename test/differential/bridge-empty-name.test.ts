/**
 * `"bridge": ""` (issue #25): the reference takes the explicit empty name over its default and the
 * kernel refuses it when the bridge is created. ADD through v1.9.1, Debian's v1.1.1 and tscni,
 * each in a fresh world: the same exit code, stdout and stderr byte for byte, and the whole world
 * (host and container netns, firewall, host-local's dataDir) exactly as before the call. A DEL
 * afterwards (runtimes send one) succeeds for all three.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { bridgeCall, type Impl, outcome, privateVarLib, REF, REF111, resetDataDir, TS, world, worldState } from "../fixtures/bridge/support.ts";
import { failnet } from "./bridge-residue.ts";
import { countCase } from "./oracles.ts";
import { BridgeNames } from "./scenario-names.ts";

requireIsolatedHost();

beforeAll(() => privateVarLib());

const MSG = 'failed to create bridge "": could not add "": LinkAttrs.Name cannot be empty';

const CASES: [string, Record<string, unknown>][] = [
  ["L2 only", { cniVersion: "1.0.0", name: "failnet", type: "bridge", bridge: "" }],
  ["host-local, gateway, ipMasq", failnet({ bridge: "", ipMasq: true })],
  ["host-local, ipMasq nftables", failnet({ bridge: "", ipMasq: true, ipMasqBackend: "nftables" })],
];

async function run(impl: Impl, conf: Record<string, unknown>): Promise<unknown> {
  resetDataDir();
  await using w = await world(1);
  const netns = w.containers[0]?.path ?? "";
  const names = new BridgeNames();
  const before = await worldState(w, names);
  const add = await bridgeCall(conf, { impl, host: w.host, command: "ADD", netns });
  const after = await worldState(w, names);
  expect({ impl: impl.name, changed: after }).toEqual({ impl: impl.name, changed: before });
  const del = await bridgeCall(conf, { impl, host: w.host, command: "DEL", netns });
  return { add: outcome(add, names), del: outcome(del, names) };
}

describe('"bridge": "" is refused on ADD with the reference\'s error, nothing changed', () => {
  test.each(CASES)("%s", async (_name, conf) => {
    const theirs = await run(REF, conf);
    expect(theirs).toEqual({ add: { code: 1, stdout: `{\n    "code": 999,\n    "msg": ${JSON.stringify(MSG)}\n}`, stderr: "" }, del: { code: 0, stdout: "", stderr: "" } });
    expect(await run(REF111, conf)).toEqual(theirs);
    expect(await run(TS, conf)).toEqual(theirs);
    countCase("bridge", "ADD");
    countCase("bridge", "DEL");
  }, 120_000);
});
