/**
 * A later ADD on a network whose bridge is ready (a bridge, up, promiscuous when asked) reuses it
 * without the bridge lock (plugins/bridge/bridge.ts readyBridge): it must not wait for a lock
 * someone holds. A bridge that is not ready (here: down) is still fixed under the lock, so that
 * ADD waits for it, then leaves the bridge up.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { bridgeCall } from "../fixtures/bridge/support.ts";
import { holdLock } from "../fixtures/hold-lock.ts";
import { exec, requireIsolatedHost, tempDir, tempNetns } from "../harness.ts";
import { bridgeNetworks } from "./bridge-networks.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const { net } = bridgeNetworks("tscni-bridge-ready-");

async function isUp(dev: string): Promise<boolean> {
  const r = await exec(["ip", "-o", "link", "show", "dev", dev]);
  expect(r.code).toBe(0);
  return /<[^>]*\bUP\b/.test(r.stdout);
}

describe("bridge ADD on an existing bridge", () => {
  test("a ready bridge is reused while another process holds the bridge lock", async () => {
    using locks = tempDir("tscni-bridge-locks-");
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ promiscMode: true });
    const env = { TSCNI_LOCK_DIR: locks.path };
    expect((await bridgeCall(conf, { command: "ADD", netns: a.path, containerId: "ready-a", env })).code).toBe(0);
    const release = await holdLock(join(locks.path, `bridge-${String(conf.bridge)}.lock`));
    try {
      const r = await bridgeCall(conf, { command: "ADD", netns: b.path, containerId: "ready-b", env });
      expect(r.code).toBe(0);
    } finally {
      await release();
    }
  });

  test("a bridge that is down waits for the lock, then is brought up", async () => {
    using locks = tempDir("tscni-bridge-locks-");
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net();
    const br = String(conf.bridge);
    const env = { TSCNI_LOCK_DIR: locks.path };
    expect((await bridgeCall(conf, { command: "ADD", netns: a.path, containerId: "down-a", env })).code).toBe(0);
    expect((await exec(["ip", "link", "set", br, "down"])).code).toBe(0);
    const release = await holdLock(join(locks.path, `bridge-${br}.lock`));
    let finished = false;
    const second = bridgeCall(conf, { command: "ADD", netns: b.path, containerId: "down-b", env }).then((r) => {
      finished = true;
      return r;
    });
    await Bun.sleep(300);
    const whileHeld = { finished, up: await isUp(br) };
    await release();
    const r = await second;
    expect(whileHeld).toEqual({ finished: false, up: false });
    expect(r.code).toBe(0);
    expect(await isUp(br)).toBe(true);
  });
});
