import { describe, expect, test } from "bun:test";
import { goMarshalIndent, parseResult, type Result, resultToWire } from "../../../src/cni/index.ts";

const dual: Result = {
  cniVersion: "1.1.0",
  interfaces: [
    { name: "cni0", mac: "aa:bb:cc:dd:ee:01" },
    { name: "veth1", mac: "aa:bb:cc:dd:ee:02", mtu: 1400 },
    { name: "eth0", mac: "aa:bb:cc:dd:ee:03", sandbox: "/proc/1/ns/net", mtu: 1400, socketPath: "/s", pciID: "0000:01" },
  ],
  ips: [
    { address: "10.1.0.2/24", gateway: "10.1.0.1", interface: 2 },
    { address: "10.2.0.2/24", interface: 2 },
    { address: "fd00::2/64", gateway: "fd00::1", interface: 2 },
  ],
  routes: [
    { dst: "0.0.0.0/0", gw: "10.1.0.1" },
    { dst: "10.9.0.0/16", mtu: 1300, table: 0, scope: 253 },
    { dst: "::/0" },
  ],
  dns: { nameservers: ["10.1.0.1"], search: ["svc"] },
};

describe("resultToWire", () => {
  test("1.1.0 sorts keys at every level and omits empties", () => {
    expect(goMarshalIndent(resultToWire(dual, "1.1.0"))).toBe(
      JSON.stringify(
        {
          cniVersion: "1.1.0",
          dns: { nameservers: ["10.1.0.1"], search: ["svc"] },
          interfaces: [
            { mac: "aa:bb:cc:dd:ee:01", name: "cni0" },
            { mac: "aa:bb:cc:dd:ee:02", mtu: 1400, name: "veth1" },
            { mac: "aa:bb:cc:dd:ee:03", mtu: 1400, name: "eth0", pciID: "0000:01", sandbox: "/proc/1/ns/net", socketPath: "/s" },
          ],
          ips: [
            { address: "10.1.0.2/24", gateway: "10.1.0.1", interface: 2 },
            { address: "10.2.0.2/24", interface: 2 },
            { address: "fd00::2/64", gateway: "fd00::1", interface: 2 },
          ],
          routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }, { dst: "10.9.0.0/16", mtu: 1300, scope: 253, table: 0 }, { dst: "::/0" }],
        },
        null,
        4,
      ),
    );
  });

  test("1.x with every field set: every field printed, keys sorted at every level", () => {
    const full: Result = {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", mac: "aa:bb:cc:dd:ee:03", mtu: 1400, sandbox: "/proc/1/ns/net", socketPath: "/s", pciID: "0000:01" }],
      ips: [{ address: "10.1.0.2/24", gateway: "10.1.0.1", interface: 0 }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1", mtu: 1300, advmss: 1200, priority: 5, table: 100, scope: 0 }],
      dns: { nameservers: ["10.1.0.1"], domain: "cluster.local", search: ["svc"], options: ["ndots:5"] },
    };
    const w = resultToWire(full, "1.1.0") as Record<string, Record<string, unknown>[] & Record<string, unknown>>;
    const sorted = (o: object): void => expect(Object.keys(o)).toEqual(Object.keys(o).sort());
    sorted(w);
    sorted(w.dns ?? {});
    for (const part of [w.interfaces?.[0], w.ips?.[0], w.routes?.[0]]) sorted(part ?? {});
    expect(Object.keys(w.dns ?? {}).length).toBe(4);
    expect([Object.keys(w.interfaces?.[0] ?? {}).length, Object.keys(w.ips?.[0] ?? {}).length, Object.keys(w.routes?.[0] ?? {}).length]).toEqual([6, 3, 7]);
  });

  test("1.0.0 is the same content relabelled", () => {
    const w = resultToWire(dual, "1.0.0");
    expect(w.cniVersion).toBe("1.0.0");
    expect({ ...w, cniVersion: "1.1.0" } as Record<string, unknown>).toEqual(resultToWire(dual, "1.1.0"));
  });

  test("1.x omits dns when every field is empty", () => {
    const w = resultToWire({ cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/8" }], dns: { nameservers: [], search: [] } }, "1.0.0");
    expect(Object.keys(w)).toEqual(["cniVersion", "ips"]);
  });

  for (const version of ["0.3.0", "0.3.1", "0.4.0"]) {
    test(`${version} uses struct order, ip versions, drops 1.1 interface fields, keeps dns {}`, () => {
      const out = goMarshalIndent(resultToWire({ ...dual, dns: undefined }, version));
      expect(out).toBe(
        JSON.stringify(
          {
            cniVersion: version,
            interfaces: [
              { name: "cni0", mac: "aa:bb:cc:dd:ee:01" },
              { name: "veth1", mac: "aa:bb:cc:dd:ee:02" },
              { name: "eth0", mac: "aa:bb:cc:dd:ee:03", sandbox: "/proc/1/ns/net" },
            ],
            ips: [
              { version: "4", interface: 2, address: "10.1.0.2/24", gateway: "10.1.0.1" },
              { version: "4", interface: 2, address: "10.2.0.2/24" },
              { version: "6", interface: 2, address: "fd00::2/64", gateway: "fd00::1" },
            ],
            routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }, { dst: "10.9.0.0/16", mtu: 1300, table: 0, scope: 253 }, { dst: "::/0" }],
            dns: {},
          },
          null,
          4,
        ),
      );
    });
  }

  for (const version of ["0.1.0", "0.2.0", ""]) {
    test(`${version || "absent"} keeps the first address per family with its family's routes`, () => {
      expect(resultToWire(dual, version)).toEqual({
        cniVersion: version || "0.1.0",
        ip4: { ip: "10.1.0.2/24", gateway: "10.1.0.1", routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }, { dst: "10.9.0.0/16" }] },
        ip6: { ip: "fd00::2/64", gateway: "fd00::1", routes: [{ dst: "::/0" }] },
        dns: { nameservers: ["10.1.0.1"], search: ["svc"] },
      });
    });
  }

  test("0.2.0 without any address is the reference's conversion error", () => {
    expect(() => resultToWire({ cniVersion: "1.1.0", interfaces: [{ name: "eth0" }] }, "0.2.0")).toThrow(
      "cannot convert: no valid IP addresses",
    );
  });

  test("0.x routes of a family without an address are dropped", () => {
    const w = resultToWire({ cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/8" }], routes: [{ dst: "::/0" }] }, "0.2.0");
    expect(w).toEqual({ cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/8" }, dns: {} });
  });

  test("Go escaping of < > & in strings", () => {
    expect(goMarshalIndent({ msg: "a <nil> & b" })).toBe('{\n    "msg": "a \\u003cnil\\u003e \\u0026 b"\n}');
  });
});

describe("parseResult (prevResult and delegate output)", () => {
  test("every version round-trips to the internal shape through its own family", () => {
    for (const version of ["1.1.0", "1.0.0", "0.4.0", "0.3.1", "0.3.0"]) {
      const wire = resultToWire(dual, version);
      const back = parseResult(JSON.parse(JSON.stringify(wire)), version);
      const expected = version.startsWith("1.")
        ? { ...dual, cniVersion: version }
        : {
            ...dual,
            cniVersion: version,
            interfaces: dual.interfaces?.map(({ name, mac, sandbox }) => (sandbox ? { name, mac, sandbox } : { name, mac })),
            dns: { nameservers: ["10.1.0.1"], search: ["svc"] },
          };
      expect(back).toEqual(expected);
    }
  });

  test("0.2.0 up-converts ip4 then ip6, routes concatenated, no interface index", () => {
    const r = parseResult(
      {
        cniVersion: "0.2.0",
        ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1", routes: [{ dst: "0.0.0.0/0" }] },
        ip6: { ip: "fd::2/64", routes: [{ dst: "::/0", gw: "fd::1" }] },
        dns: {},
      },
      "0.2.0",
    );
    expect(r).toEqual({
      cniVersion: "0.2.0",
      ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1" }, { address: "fd::2/64" }],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0", gw: "fd::1" }],
      dns: {},
    });
  });

  test("a prevResult without cniVersion takes the config's", () => {
    expect(parseResult({ ips: [{ address: "10.0.0.2/24" }] }, "1.0.0").cniVersion).toBe("1.0.0");
  });

  test("a prevResult of another family is refused with the reference's message", () => {
    expect(() => parseResult({ cniVersion: "0.4.0" }, "1.1.0")).toThrow(
      'result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
    );
  });

  test("0.4.0 config accepts a 0.3.1 prevResult; unknown keys are dropped", () => {
    const r = parseResult(
      { cniVersion: "0.3.1", ips: [{ version: "4", address: "10.0.0.2/24", extra: 1 }], bogus: true },
      "0.4.0",
    );
    expect(r).toEqual({ cniVersion: "0.3.1", ips: [{ address: "10.0.0.2/24" }] });
  });

  test("keys match case-insensitively like Go", () => {
    const r = parseResult({ CNIVersion: "1.0.0", IPs: [{ Address: "10.0.0.2/24", GATEWAY: "10.0.0.1" }] }, "1.0.0");
    expect(r.ips).toEqual([{ address: "10.0.0.2/24", gateway: "10.0.0.1" }]);
  });

  test("a bad address is worded as Go's decoder words it, without a JSON path (as v1.9.1 prints it)", () => {
    expect(() => parseResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.300/24" }] }, "1.0.0")).toThrow(
      /^invalid CIDR address: 10\.0\.0\.300\/24$/,
    );
    expect(() => parseResult({ cniVersion: "1.0.0", routes: [{ dst: "0.0.0.0/0", gw: "::1%lo" }] }, "1.0.0", "ctx: ")).toThrow(
      /^ctx: invalid IP address: ::1%lo$/,
    );
  });

  test("addresses come out as Go prints them once parsed (net.IP, types.IPNet)", () => {
    const r = parseResult(
      { cniVersion: "1.0.0", ips: [{ address: "::FFFF:10.0.0.2/120", gateway: "2001:DB8:0::1" }], routes: [{ dst: "0::/0", gw: "::ffff:a00:1" }] },
      "1.0.0",
    );
    expect({ ips: r.ips, routes: r.routes }).toEqual({ ips: [{ address: "10.0.0.2/24", gateway: "2001:db8::1" }], routes: [{ dst: "::/0", gw: "10.0.0.1" }] });
  });
});

describe("fields Go's 0.x types keep as given (given-fields.ts)", () => {
  test("0.4.0 versions print as given within the family, from the address once the ips array is another", () => {
    const r = parseResult({ cniVersion: "0.4.0", ips: [{ version: "6", address: "10.0.0.2/24" }, { address: "10.0.0.3/24" }] }, "0.4.0");
    const versions = (w: Record<string, unknown>): unknown => (w.ips as { version: string }[]).map((ip) => ip.version);
    expect(versions(resultToWire(r, "0.3.1"))).toEqual(["6", ""]);
    // A result built anew from the parsed addresses (bridge from its IPAM's result) says their family.
    expect(versions(resultToWire({ ...r, ips: [...(r.ips ?? [])] }, "0.4.0"))).toEqual(["4", "4"]);
    expect((resultToWire(r, "1.0.0").ips as Record<string, unknown>[])[0]).toEqual({ address: "10.0.0.2/24" });
  });

  test("0.2.0 blocks print as given within the family, by family once the arrays are others", () => {
    const r = parseResult({ cniVersion: "0.2.0", ip4: { ip: "2001:db8::2/64", routes: [{ dst: "::/0" }] } }, "0.2.0");
    expect(resultToWire(r, "0.1.0")).toEqual({ cniVersion: "0.1.0", ip4: { ip: "2001:db8::2/64", routes: [{ dst: "::/0" }] }, dns: {} });
    expect(resultToWire({ ...r, routes: [...(r.routes ?? [])] }, "0.2.0")).toEqual({ cniVersion: "0.2.0", ip6: { ip: "2001:db8::2/64", routes: [{ dst: "::/0" }] }, dns: {} });
    expect(resultToWire(parseResult({ cniVersion: "0.2.0" }, "0.2.0"), "0.2.0")).toEqual({ cniVersion: "0.2.0", dns: {} });
  });
});
