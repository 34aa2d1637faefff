/**
 * A config member named `__proto__` is an unknown key to Go's decoder (ignored for a struct, an
 * ordinary key for a map), never a way to set other fields: JSON.parse makes it an own property,
 * and foldKeys must keep it one (an assignment `out["__proto__"] = v` would make `v` the
 * prototype, and its members would then read as the config's own fields; v1.9.1's bridge ignores
 * `"__proto__": {"ipMasq": true}`).
 */
import { describe, expect, test } from "bun:test";
import { goJsonParse, tryDecode } from "../../../src/cni/index.ts";
import { decodeBridgeConfig } from "../../../plugins/bridge/config.ts";
import { NetConf } from "../../../src/cni/netconf.ts";

const smuggled = (extra: string): unknown => goJsonParse(`{"cniVersion":"1.0.0","name":"n","type":"bridge",${extra}}`);

describe("a __proto__ member of a config", () => {
  test("sets no field of a struct (bridge's NetConf): ipMasq, bridge and isGateway keep their defaults", () => {
    const conf = decodeBridgeConfig(smuggled(`"__proto__":{"ipMasq":true,"bridge":"evil0","isGateway":true}`));
    expect(conf.ipMasq).toBe(false);
    expect(conf.bridge).toBeUndefined();
    expect(conf.isGateway).toBe(false);
  });

  test("nested in a struct of a list (vlanTrunk's VlanTrunk) sets no field there either", () => {
    const conf = decodeBridgeConfig(smuggled(`"vlanTrunk":[{"__proto__":{"id":5}},{"id":7}]`));
    expect(conf.vlanTrunk?.[0]?.id).toBeUndefined();
    expect(conf.vlanTrunk?.[1]?.id).toBe(7);
  });

  test("is an ordinary key of a map (capabilities): a value of the wrong type is refused in Go's words", () => {
    const r = tryDecode(NetConf, smuggled(`"capabilities":{"__proto__":{"portMappings":true}}`));
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual(["json: cannot unmarshal object into Go struct field PluginConf.capabilities of type bool"]);
  });

  test.each([
    ["__proto__", "{}", "object"],
    ["constructor", '"x"', "string"],
    ["prototype", "1", "number"],
  ])("every key valibot's record skips (%s) is decoded as Go decodes it, first in document order", (key, value, kind) => {
    const before = tryDecode(NetConf, smuggled(`"capabilities":{"${key}":${value},"a":"x"}`));
    expect(before.ok ? [] : before.problems.map((p) => p.message)).toEqual([
      `json: cannot unmarshal ${kind} into Go struct field PluginConf.capabilities of type bool`,
      "json: cannot unmarshal string into Go struct field PluginConf.capabilities of type bool",
    ]);
    const after = tryDecode(NetConf, smuggled(`"capabilities":{"a":"x","${key}":${value}}`));
    expect(after.ok ? [] : after.problems[0]?.message).toBe("json: cannot unmarshal string into Go struct field PluginConf.capabilities of type bool");
  });

  test("a well-typed value under such a key is kept as the map's own member, never its prototype", () => {
    const r = tryDecode(NetConf, smuggled(`"capabilities":{"__proto__":true,"constructor":null,"prototype":false,"portMappings":true}`));
    expect(r.ok).toBe(true);
    const caps = (r.ok ? r.value.capabilities : undefined) as Record<string, unknown>;
    expect(Object.getPrototypeOf(caps)).toBe(Object.prototype);
    expect(Object.entries(caps).sort()).toEqual([["__proto__", true], ["constructor", false], ["portMappings", true], ["prototype", false]]);
  });

  test("a map[string]interface{} (prevResult) keeps skipping them: every consumer decodes it into a struct", () => {
    const r = tryDecode(NetConf, smuggled(`"prevResult":{"__proto__":{"ips":[]},"cniVersion":"1.0.0"}`));
    expect(r.ok).toBe(true);
    const prev = (r.ok ? r.value.prevResult : undefined) as Record<string, unknown>;
    expect(Object.keys(prev)).toEqual(["cniVersion"]);
    expect(prev.ips).toBeUndefined();
  });
});
