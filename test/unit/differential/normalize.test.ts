import { describe, expect, test } from "bun:test";
import { normalizeOutput, V19_VERSION_DOC } from "../../differential/normalize.ts";

const good = {
  cniVersion: "1.0.0",
  interfaces: [{ name: "eth0", mac: "0a:58:0a:01:00:02", sandbox: "/proc/1/ns/net" }, { name: "veth1a2b3c4d", mac: "aa:bb:cc:dd:ee:ff" }],
  ips: [{ address: "10.1.0.2/24", gateway: "10.1.0.1", interface: 0 }],
  routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }],
  dns: {},
};
const norm = (o: unknown) => normalizeOutput(JSON.stringify(o), { kernelNames: true });

describe("differential normaliser", () => {
  test("applies only the listed transforms", () => {
    expect(normalizeOutput('{"cniVersion":"1.0.0","supportedVersions":["0.1.0"]}')).toEqual(V19_VERSION_DOC);
    expect(norm(good)).toEqual(norm({ ...good, dns: undefined }));
    expect(norm(good)).toEqual(
      norm({ ...good, interfaces: [{ ...good.interfaces[0], mac: "02:00:00:00:00:01" }, { name: "veth99999999", mac: "aa:aa:aa:aa:aa:aa" }] }),
    );
  });

  test.each([
    ["a wrong gateway", { ...good, ips: [{ ...good.ips[0], gateway: "10.1.0.254" }] }],
    ["a wrong address", { ...good, ips: [{ ...good.ips[0], address: "10.1.0.3/24" }] }],
    ["a wrong prefix", { ...good, ips: [{ ...good.ips[0], address: "10.1.0.2/16" }] }],
    ["a missing route", { ...good, routes: [] }],
    ["a wrong interface index", { ...good, ips: [{ ...good.ips[0], interface: 1 }] }],
    ["a different sandbox", { ...good, interfaces: [{ ...good.interfaces[0], sandbox: "/proc/2/ns/net" }, good.interfaces[1]] }],
    ["a non-empty dns", { ...good, dns: { nameservers: ["1.1.1.1"] } }],
    ["another version label", { ...good, cniVersion: "1.1.0" }],
  ])("still catches %s", (_what, bad) => {
    expect(norm(bad)).not.toEqual(norm(good));
  });

  test("still catches a wrong chain name in an error message", () => {
    expect(normalizeOutput('{"code":999,"msg":"chain CNI-DN-aaaa not found"}')).not.toEqual(
      normalizeOutput('{"code":999,"msg":"chain CNI-DN-bbbb not found"}'),
    );
  });
});
