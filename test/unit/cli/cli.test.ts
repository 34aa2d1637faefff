import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { defaultConflist, networkCidr } from "../../../src/cli/default-conflist.ts";
import { cnitoolContainerId, parseAttachment, parseCniArgsPairs } from "../../../src/cli/options.ts";
import { schemaValidator, validateFiles } from "../../../src/cli/validate.ts";
import { CniError } from "../../../src/cni/index.ts";
import { parseConfList, scanConfDir } from "../../../src/runtime/index.ts";
import { repoRoot, tempDir } from "../../harness.ts";

const corpus = join(repoRoot, "test/fixtures/configs");

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

describe("validate", () => {
  const bridgeLike = schemaValidator(v.looseObject({ mtu: v.optional(v.number()), ipam: v.optional(v.looseObject({ type: v.string() })) }));
  const validators = { bridge: bridgeLike, loopback: schemaValidator(v.looseObject({})) };

  test("the good corpus loads and passes; a later file with the same name is reported as ignored", () => {
    const r = validateFiles(scanConfDir(join(corpus, "good")), validators);
    expect(r.ok).toBe(true);
    expect(r.files.map((f) => [f.network, f.role])).toEqual([
      ["containerd-net", "used"],
      ["crio", "used"],
      ["nomad", "used"],
      ["loopback", "used"],
      ["kubenet", "used"],
    ]);
    expect(r.defaultNetwork?.name).toBe("containerd-net");
  });

  test("every broken file is reported, with the JSON path for schema errors", () => {
    const r = validateFiles(scanConfDir(join(corpus, "broken")), validators);
    expect(r.ok).toBe(false);
    const byFile = Object.fromEntries(r.files.map((f) => [f.file.split("/").at(-1), f]));
    expect(byFile["no-type.conflist"]?.role).toBe("broken");
    expect(byFile["no-plugins.conflist"]?.role).toBe("broken");
    expect(byFile["not-json.conflist"]?.role).toBe("broken");
    expect(byFile["caps-not-bool.conflist"]?.role).toBe("broken");
    expect(byFile["bad-version.conflist"]?.errors[0]).toContain("cniVersion");
    expect(byFile["bad-name.conflist"]?.errors[0]).toContain("name");
    expect(byFile["mtu-string.conflist"]?.plugins[0]?.problems[0]).toStartWith("mtu: ");
  });
});
