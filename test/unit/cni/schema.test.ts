import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { Cidr, decodeConfig, Int, IpAddr, NetConfEntries } from "../../../src/cni/index.ts";

describe("shared schema fragments", () => {
  test.each(["10.0.0.1", "::1", "fd00::1:2", "::ffff:10.0.0.1"])("IpAddr accepts %p", (ip) => {
    expect(v.is(IpAddr, ip)).toBe(true);
  });
  // Go's net.ParseIP rejects what ipaddr.js alone would accept.
  test.each(["10", "0x0a.1.2.3", "010.0.0.1", "10.0.0.256", "fe80::1%eth0", "", "1.2.3.4/24"])("IpAddr rejects %p", (ip) => {
    expect(v.is(IpAddr, ip)).toBe(false);
  });
  test.each(["10.0.0.0/8", "10.0.0.5/24", "fd00::/64", "10.0.0.0/08"])("Cidr accepts %p", (c) => {
    expect(v.is(Cidr, c)).toBe(true);
  });
  test.each(["10.0.0.0", "10.0.0.0/33", "fd00::/129", "10/8", "10.0.0.0/-1"])("Cidr rejects %p", (c) => {
    expect(v.is(Cidr, c)).toBe(false);
  });

  test("decodeConfig: Go-style keys, null as absent, path-named type errors (code 999)", () => {
    const Conf = v.looseObject({ ...NetConfEntries, mtu: v.optional(Int), nested: v.optional(v.object({ isGateway: v.optional(v.boolean()) })) });
    expect(decodeConfig(Conf, { NAME: "n", MTU: 1400, Nested: { ISGATEWAY: true }, dns: null, extra: 1 })).toMatchObject({
      name: "n",
      mtu: 1400,
      nested: { isGateway: true },
      extra: 1,
    });
    expect(() => decodeConfig(Conf, { name: "n", mtu: "1400" }, "failed to load netconf: ")).toThrow(/^failed to load netconf: mtu: /);
    expect(() => decodeConfig(Conf, { name: "n", mtu: 1500.5 })).toThrow("mtu: must be an integer");
    try {
      decodeConfig(Conf, { name: "n", nested: { isGateway: "yes" } });
    } catch (e) {
      expect((e as { code: number; message: string }).code).toBe(999);
      expect((e as Error).message).toStartWith("nested.isGateway: ");
    }
  });
});
