import { describe, expect, test } from "bun:test";
import {
  normalizeOutput,
  normalizeAbout,
  errorMismatch,
  normalisedError,
} from "../../differential/normalize.ts";
import { BridgeNames } from "../../differential/scenario-names.ts";

const good = {
  cniVersion: "1.0.0",
  interfaces: [{ name: "eth0", mac: "0a:58:0a:01:00:02", sandbox: "/proc/1/ns/net" }, { name: "veth1a2b3c4d", mac: "aa:bb:cc:dd:ee:ff" }],
  ips: [{ address: "10.1.0.2/24", gateway: "10.1.0.1", interface: 0 }],
  routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }],
};
const norm = (o: unknown) => normalizeOutput(JSON.stringify(o, null, 4), new BridgeNames());

describe("differential normaliser", () => {
  test("applies only the listed transforms: random MACs and veth names, the about text's version", () => {
    expect(norm(good)).toEqual(
      norm({ ...good, interfaces: [{ ...good.interfaces[0], mac: "02:00:00:00:00:01" }, { name: "veth99999999", mac: "aa:aa:aa:aa:aa:aa" }] }),
    );
    const about = (v: string) => `CNI loopback plugin ${v}\nCNI protocol versions supported: 0.1.0, 1.1.0\n`;
    expect(normalizeAbout(about("v1.9.1"))).toBe(normalizeAbout(about("tscni v0.1.0 (commit abc)")));
    expect(normalizeAbout(about("v1.9.1"))).not.toBe(normalizeAbout(about("v1.9.1").replace("1.1.0", "1.0.0")));
  });

  test.each([
    ["a wrong gateway", { ...good, ips: [{ ...good.ips[0], gateway: "10.1.0.254" }] }],
    ["a wrong address", { ...good, ips: [{ ...good.ips[0], address: "10.1.0.3/24" }] }],
    ["a wrong prefix", { ...good, ips: [{ ...good.ips[0], address: "10.1.0.2/16" }] }],
    ["a missing route", { ...good, routes: [] }],
    ["a wrong interface index", { ...good, ips: [{ ...good.ips[0], interface: 1 }] }],
    ["a different sandbox", { ...good, interfaces: [{ ...good.interfaces[0], sandbox: "/proc/2/ns/net" }, good.interfaces[1]] }],
    ["an empty dns", { ...good, dns: {} }],
    ["another key order", { ips: good.ips, cniVersion: good.cniVersion, interfaces: good.interfaces, routes: good.routes }],
    ["another version label", { ...good, cniVersion: "1.1.0" }],
  ])("still catches %s", (_what, bad) => {
    expect(norm(bad)).not.toEqual(norm(good));
  });

  test("still catches a wrong chain name in an error message", () => {
    expect(norm({ code: 999, msg: "chain CNI-DN-aaaa not found" })).not.toEqual(norm({ code: 999, msg: "chain CNI-DN-bbbb not found" }));
  });

  test("host-local errors: the leftover IPs of a Go map are a set; everything else exact", () => {
    const e = (msg: string, details?: string) => ({ code: 999, msg, ...(details === undefined ? {} : { details }) });
    const left = (ips: string) => e(`failed to allocate all requested IPs: ${ips}`);
    expect(normalisedError(left("10.0.0.5"))).toBe(true);
    expect(errorMismatch(left("10.0.0.5 10.0.0.6"), left("10.0.0.6 10.0.0.5"))).toBe("");
    // Kept apart: another set, one IP more or less, another single IP, other details, other code.
    expect(errorMismatch(left("10.0.0.5 10.0.0.6"), left("10.0.0.6 10.0.0.7"))).not.toBe("");
    expect(errorMismatch(left("10.0.0.5 10.0.0.6"), left("10.0.0.5"))).not.toBe("");
    expect(errorMismatch(left("10.0.0.5"), left("10.0.0.6"))).not.toBe("");
    expect(errorMismatch(e("a", "x"), e("a", "y"))).not.toBe("");
    expect(errorMismatch(e("a"), { ...e("a"), code: 11 })).not.toBe("");
    // Go json texts are not loosened (11): another type name is a difference.
    const json = (t: string) => e(`json: cannot unmarshal string into Go struct field .ipam of type ${t}`);
    expect(normalisedError(json("int"))).toBe(false);
    expect(errorMismatch(json("int"), json("int"))).toBe("");
    expect(errorMismatch(json("int"), json("uint"))).not.toBe("");
    expect(normalisedError(e("no IP addresses available in range set: 10.0.0.1-10.0.0.2"))).toBe(false);
  });
});
