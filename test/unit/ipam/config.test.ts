import { describe, expect, test } from "bun:test";
import { loadHostLocalConfig } from "../../../src/ipam/host-local/config.ts";
import { ipString } from "../../../src/ip/index.ts";
import { rangeSetString } from "../../../src/ipam/host-local/range.ts";

const net = (ipam: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  cniVersion: "1.0.0",
  name: "mynet",
  ipam,
  ...extra,
});

const fails = (raw: Record<string, unknown>, args = ""): string => {
  try {
    loadHostLocalConfig(raw, args);
  } catch (e) {
    const err = e as { code?: number; message: string };
    expect(err.code).toBe(999);
    return err.message;
  }
  return "no error";
};

describe("config assembly", () => {
  test("old style gives one set with defaults", () => {
    const c = loadHostLocalConfig(net({ subnet: "10.1.2.0/24" }), "");
    expect(c.rangeSets.map(rangeSetString)).toEqual(["10.1.2.1-10.1.2.254"]);
    expect(c.dataDir).toBe("");
  });

  test("runtime ipRanges, then the legacy range, then ranges", () => {
    const c = loadHostLocalConfig(
      net(
        { subnet: "10.0.0.0/24", ranges: [[{ subnet: "10.2.0.0/24" }], [{ subnet: "2001:db8::/64" }]] },
        { runtimeConfig: { ipRanges: [[{ subnet: "10.9.0.0/24" }]] } },
      ),
      "",
    );
    expect(c.rangeSets.map(rangeSetString)).toEqual([
      "10.9.0.1-10.9.0.254",
      "10.0.0.1-10.0.0.254",
      "10.2.0.1-10.2.0.254",
      "2001:db8::1-2001:db8::ffff:ffff:ffff:ffff",
    ]);
  });

  test("a legacy range without subnet is ignored", () => {
    expect(fails(net({ rangeStart: "10.0.0.5" }))).toBe("no IP ranges specified");
  });

  test("requested IPs: CNI_ARGS, then args.cni.ips, then runtimeConfig.ips, deduplicated", () => {
    const c = loadHostLocalConfig(
      net(
        { ranges: [[{ subnet: "10.1.2.0/24" }]] },
        { args: { cni: { ips: ["10.1.2.20", "10.1.2.10"] } }, runtimeConfig: { ips: ["10.1.2.30/24"] } },
      ),
      "IP=10.1.2.10/24",
    );
    expect(c.requestedIPs.map(ipString)).toEqual(["10.1.2.10", "10.1.2.20", "10.1.2.30"]);
  });

  test("an empty IP= is ignored, IgnoreUnknown works", () => {
    const c = loadHostLocalConfig(net({ ranges: [[{ subnet: "10.1.2.0/24" }]] }), "IP=;IgnoreUnknown=1;K8S_POD_NAME=x");
    expect(c.requestedIPs).toEqual([]);
  });

  test("keys match case-insensitively, the last duplicate wins", () => {
    const c = loadHostLocalConfig(
      { cniVersion: "1.0.0", NAME: "n", IPAM: { Ranges: [[{ Subnet: "10.1.0.0/24" }]], DataDir: "/x", datadir: "/y" } },
      "",
    );
    expect(c.dataDir).toBe("/y");
    expect(c.rangeSets.length).toBe(1);
  });

  test("routes are copied, dst keeps host bits, empty gw is dropped", () => {
    const c = loadHostLocalConfig(
      net({
        ranges: [[{ subnet: "10.1.2.0/24" }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "10.1.2.3/8", gw: "" }, { dst: "::/0", gw: "2001:DB8::1", mtu: 1400, table: 0 }, { gw: "1.2.3.4" }],
      }),
      "",
    );
    expect(c.routes).toEqual([
      { dst: "0.0.0.0/0" },
      { dst: "10.1.2.3/8" },
      { dst: "::/0", gw: "2001:db8::1", mtu: 1400, table: 0 },
      { dst: "<nil>", gw: "1.2.3.4" },
    ]);
  });

  const ranges = (...subnets: string[][]) => ({ ranges: subnets.map((s) => s.map((subnet) => ({ subnet }))) });

  test.each<[string, Record<string, unknown>, string, string?]>([
    ["no ipam", { cniVersion: "1.0.0", name: "n" }, "IPAM config missing 'ipam' key"],
    ["null ipam", { cniVersion: "1.0.0", name: "n", ipam: null }, "IPAM config missing 'ipam' key"],
    ["empty ipam", net({}), "no IP ranges specified"],
    ["empty ranges", net({ ranges: [] }), "no IP ranges specified"],
    ["empty set", net({ ranges: [[]] }), "invalid range set 0: empty range set"],
    ["null set", net({ ranges: [null] }), "invalid range set 0: empty range set"],
    ["null range", net({ ranges: [[null]] }), "invalid range set 0: IP <nil> not v4 nor v6"],
    ["no subnet", net({ ranges: [[{ rangeStart: "10.0.0.1" }]] }), "invalid range set 0: IP <nil> not v4 nor v6"],
    ["host bits", net(ranges(["10.0.0.1/24"])), "invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network address is 10.0.0.0"],
    ["/31", net(ranges(["10.0.0.0/31"])), "invalid range set 0: Network 10.0.0.0/31 too small to allocate from"],
    ["mixed", net(ranges(["10.0.0.0/24", "2001:db8::/64"])), "invalid range set 0: mixed address families"],
    ["overlap in set", net(ranges(["10.1.0.0/22", "10.1.2.0/24"])), "invalid range set 0: subnets 10.1.0.1-10.1.3.254 and 10.1.2.1-10.1.2.254 overlap"],
    ["overlapping sets", net(ranges(["10.1.0.0/22"], ["10.1.2.0/24"])), "range set 0 overlaps with 1"],
    ["bad cidr", net(ranges(["10.0.0.0"])), "invalid CIDR address: 10.0.0.0"],
    ["empty cidr", net(ranges([""])), "invalid CIDR address: "],
    ["bad ip", net({ ranges: [[{ subnet: "10.0.0.0/24", gateway: "abc" }]] }), "invalid IP address: abc"],
    ["leading zero", net({ ranges: [[{ subnet: "10.0.0.0/24", gateway: "010.0.0.1" }]] }), "invalid IP address: 010.0.0.1"],
    ["bad route", net({ ...ranges(["10.0.0.0/24"]), routes: [{ dst: "bad" }] }), "invalid CIDR address: bad"],
    ["bad args ip", net(ranges(["10.0.0.0/24"]), { args: { cni: { ips: ["bogus"] } } }), "invalid IP address bogus"],
    ["empty runtime ip", net(ranges(["10.0.0.0/24"]), { runtimeConfig: { ips: [""] } }), "cannot understand ip: IP <nil> not v4 nor v6"],
    ["cni args bad ip", net(ranges(["10.0.0.0/24"])), 'ARGS: error parsing value of pair "IP=notanip": invalid IP address notanip', "IP=notanip"],
    ["cni args unknown", net(ranges(["10.0.0.0/24"])), 'ARGS: unknown args ["ip=10.1.2.50"]', "ip=10.1.2.50"],
    ["cni args no value", net(ranges(["10.0.0.0/24"])), 'ARGS: invalid pair "IP"', "IP"],
    ["cni args trailing ;", net(ranges(["10.0.0.0/24"])), 'ARGS: invalid pair ""', "IP=10.0.0.5;"],
    ["two v4 sets at 0.2.0", { ...net(ranges(["10.0.0.0/24"], ["10.1.0.0/24"])), cniVersion: "0.2.0" }, "CNI version 0.2.0 does not support more than 1 address per family"],
    ["two v4 sets, no version", { name: "n", ...{ ipam: ranges(["10.0.0.0/24"], ["10.1.0.0/24"]) } }, "CNI version  does not support more than 1 address per family"],
    ["mtu not an int", net({ ...ranges(["10.0.0.0/24"]), routes: [{ dst: "0.0.0.0/0", mtu: 1.5 }] }), "json: cannot unmarshal number 1.5 into Go struct field IPAMConfig.ipam.routes of type int"],
  ])("%s", (_label, raw, message, args = "") => {
    const got = fails(raw, args);
    if (message.startsWith("ipam.")) expect(got).toContain(message.split(":")[0]!);
    else expect(got).toBe(message);
  });

  test("one v4 plus one v6 set is fine at 0.2.0; two v4 sets fine at 0.3.0", () => {
    expect(() => loadHostLocalConfig({ ...net(ranges(["10.0.0.0/24"], ["2001:db8::/64"])), cniVersion: "0.2.0" }, "")).not.toThrow();
    expect(() => loadHostLocalConfig({ ...net(ranges(["10.0.0.0/24"], ["10.1.0.0/24"])), cniVersion: "0.3.0" }, "")).not.toThrow();
  });
});
