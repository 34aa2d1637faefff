/**
 * Dual-stack bridge ADD (containerd's default network) waits for the container's IPv6 addresses
 * to leave "tentative" before it adds routes, as the reference's SettleAddresses does, but woken by
 * the kernel's address event instead of re-listing on a 50 ms period. What the wait must still
 * guarantee: when ADD returns, no address of the container interface is tentative, and result,
 * routes and host-local state are those of an ADD without the wait. With DAD on (enableDad, no
 * random start delay) the addresses stay tentative for one retransmit interval (1 s; a non-initial
 * netns cannot shorten it) after the wait starts, so the wake-up path is the one exercised.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { exec, requireIsolatedHost, type TempNetns, tempNetns } from "../harness.ts";
import { addrs, reservations, routes } from "./bridge-fixture.ts";
import { add, bridgeNetworks } from "./bridge-networks.ts";
import { bridgeCall } from "../fixtures/bridge/support.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

/** Not a performance assertion: a wait that misses its wake-up runs to the 5 s settle bound. */
const HANG_BOUND_MS = 2_000;
/** With DAD on, the kernel's own 1 s probe comes on top. */
const DAD_HANG_BOUND_MS = HANG_BOUND_MS + 1_000;

const networks = bridgeNetworks("tscni-bridge-settle-");

function dualStack(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const n = networks.seq + 1;
  return {
    ...networks.net({ isGateway: true, ipMasq: true, promiscMode: true, ...extra }, [`10.${n}.0.0/24`, `fd00:5e:${n}::/64`]),
    cniVersion: "1.0.0",
  };
}

/** Addresses of eth0 the kernel still marks tentative or dadfailed (`ip -6 addr show tentative`). */
async function unsettled(ns: TempNetns): Promise<string> {
  const tentative = await ns.run(["ip", "-6", "addr", "show", "dev", "eth0", "tentative"]);
  const failed = await ns.run(["ip", "-6", "addr", "show", "dev", "eth0", "dadfailed"]);
  expect([tentative.code, failed.code]).toEqual([0, 0]);
  return `${tentative.stdout}${failed.stdout}`.trim();
}

async function sysctlIn(ns: TempNetns, name: string, value: string): Promise<void> {
  const r = await ns.run(["sysctl", "-qw", `${name}=${value}`]);
  expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: "" });
}

async function addSettled(conf: Record<string, unknown>, ns: TempNetns, boundMs: number): Promise<void> {
  const n = networks.seq;
  const t0 = performance.now();
  const res = await add(conf, ns);
  expect(performance.now() - t0).toBeLessThan(boundMs);
  expect(await unsettled(ns)).toBe("");
  expect(res.ips?.map((i) => [i.address, i.gateway])).toEqual([
    [`10.${n}.0.2/24`, `10.${n}.0.1`],
    [`fd00:5e:${n}::2/64`, `fd00:5e:${n}::1`],
  ]);
  expect((await addrs("eth0", ns)).sort()).toEqual([`10.${n}.0.2/24`, `fd00:5e:${n}::2/64`]);
  expect((await routes(6, ns)).filter((r) => r.dst.startsWith("fd00")).map((r) => r.dst)).toEqual([`fd00:5e:${n}::/64`]);
  expect(reservations(networks.dataDir, String(conf.name)).sort()).toEqual([`10.${n}.0.2`, `fd00:5e:${n}::2`]);
  const del = await bridgeCall(conf, { command: "DEL", netns: ns.path });
  expect({ code: del.code, stdout: del.stdout }).toEqual({ code: 0, stdout: "" });
  expect(reservations(networks.dataDir, String(conf.name))).toEqual([]);
  expect((await exec(["ip", "link", "del", String(conf.bridge)])).code).toBe(0);
}

describe("dual-stack bridge ADD settles IPv6 addresses without a fixed pause", () => {
  test("DAD off (the default): ADD returns settled, result and state as ever", async () => {
    await using ns = await tempNetns({ lo: true });
    await addSettled(dualStack(), ns, HANG_BOUND_MS);
  });

  test("DAD on and still running when the wait starts: ADD returns only once it ended", async () => {
    await using ns = await tempNetns({ lo: true });
    await sysctlIn(ns, "net.ipv6.conf.default.router_solicitation_delay", "0");
    await addSettled(dualStack({ enableDad: true }), ns, DAD_HANG_BOUND_MS);
  });
});
