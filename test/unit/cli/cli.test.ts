import { describe, expect, test } from "bun:test";
import { defaultConflist, networkCidr } from "../../../src/cli/default-conflist.ts";
import { cnitoolContainerId, parseAttachment, parseCniArgsPairs } from "../../../src/cli/options.ts";
import { parseConfList } from "../../../src/runtime/index.ts";

describe("options", () => {
  test("container ID defaults to cnitool's: sha512 of the absolute netns path, 10 bytes", () => {
    // sha512("/var/run/netns/x") computed independently with sha512sum.
    const hex = new Bun.CryptoHasher("sha512").update("/var/run/netns/x").digest("hex").slice(0, 20);
    expect(cnitoolContainerId("/var/run/netns/x")).toBe(`cnitool-${hex}`);
    expect(cnitoolContainerId("/var/run/netns/../netns/x")).toBe(`cnitool-${hex}`);
  });

  test("CNI_ARGS pairs like cnitool", () => {
    expect(parseCniArgsPairs("A=1;B=2")).toEqual([["A", "1"], ["B", "2"]]);
    expect(() => parseCniArgsPairs("A")).toThrow('invalid CNI_ARGS pair "A"');
    expect(() => parseCniArgsPairs("A=1;")).toThrow();
  });

  test("attachments", () => {
    expect(parseAttachment("abc:eth0")).toEqual({ containerID: "abc", ifname: "eth0" });
    expect(parseAttachment("abc")).toEqual({ containerID: "abc", ifname: "" });
  });
});

describe("default conflist", () => {
  test("dual stack: loopback, bridge with both ranges and default routes, portmap", () => {
    const c = defaultConflist({ cidrs: ["10.88.0.7/16", "fd00:88::/64"] });
    expect(c).toMatchObject({ cniVersion: "1.0.0", cniVersions: ["1.0.0", "1.1.0"], name: "tscni" });
    const list = parseConfList(new TextEncoder().encode(JSON.stringify(c)));
    expect(list.cniVersion).toBe("1.1.0");
    expect(list.plugins.map((p) => p.type)).toEqual(["loopback", "bridge", "portmap"]);
    expect(list.plugins[1]?.raw.ipam).toEqual({
      type: "host-local",
      ranges: [[{ subnet: "10.88.0.0/16" }], [{ subnet: "fd00:88::/64" }]],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
    });
    expect(list.plugins[2]?.capabilities).toEqual(["portMappings"]);
  });

  test("v6 only; bad and duplicate-family CIDRs are refused", () => {
    const c = defaultConflist({ cidrs: ["fd00::/64"] }) as { plugins: { ipam?: { routes: unknown } }[] };
    expect(c.plugins[1]?.ipam?.routes).toEqual([{ dst: "::/0" }]);
    expect(() => networkCidr("10.0.0.0")).toThrow("is not a CIDR");
    expect(() => networkCidr("10.0.0.0/31")).toThrow("too small");
    expect(() => defaultConflist({ cidrs: ["10.0.0.0/16", "10.1.0.0/16"] })).toThrow("at most one IPv4");
  });
});
