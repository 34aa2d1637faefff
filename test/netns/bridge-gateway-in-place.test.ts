/**
 * The gateway step of a later ADD on a network whose bridge already holds its gateway addresses
 * (plugins/bridge/layer3.ts gatewaysInPlace skips the bridge lock then): it must still leave the
 * host forwarding and the gateway addresses in place, as every ADD of v1.9.1 does (it writes the
 * forwarding sysctls and ensures the address on each call), whatever happened since the first ADD.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { exec, requireIsolatedHost, tempNetns } from "../harness.ts";
import { addrs, sysctl } from "./bridge-fixture.ts";
import { add, bridgeNetworks } from "./bridge-networks.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const { net } = bridgeNetworks("tscni-bridge-gw-in-place-");

const FORWARDING = ["net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"];

describe("a later ADD whose gateway addresses are already on the bridge", () => {
  test("turns forwarding back on when it was switched off since the first ADD", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ isGateway: true }, ["10.231.0.0/24", "fd00:231::/64"]);
    await add(conf, a, { containerId: "gw-in-place-a" });
    for (const f of FORWARDING) expect(await sysctl(f)).toBe("1");
    for (const f of FORWARDING) writeFileSync(`/proc/sys/${f}`, "0");
    for (const f of FORWARDING) expect(await sysctl(f)).toBe("0");
    await add(conf, b, { containerId: "gw-in-place-b" });
    for (const f of FORWARDING) expect(await sysctl(f)).toBe("1");
    expect(await addrs(String(conf.bridge))).toEqual(["10.231.0.1/24", "fd00:231::1/64"]);
  });

  test("puts back a gateway address removed since the first ADD", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ isGateway: true }, ["10.232.0.0/24", "fd00:232::/64"]);
    const br = String(conf.bridge);
    await add(conf, a, { containerId: "gw-in-place-c" });
    const del = await exec(["ip", "-6", "addr", "del", "fd00:232::1/64", "dev", br]);
    expect(del.code).toBe(0);
    expect(await addrs(br)).toEqual(["10.232.0.1/24"]);
    await add(conf, b, { containerId: "gw-in-place-d" });
    expect(await addrs(br)).toEqual(["10.232.0.1/24", "fd00:232::1/64"]);
  });
});
