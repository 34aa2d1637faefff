import { describe, expect, test } from "bun:test";
import { decodeConfig, goInt, goJsonParse, goStruct, JsonNumber } from "../../../src/cni/index.ts";
import * as v from "valibot";

// Go decodes an int from the number's text; JS's JSON.parse keeps only the value. The live
// comparison with v1.9.1 is test/differential/config-decoding.test.ts; this pins the mechanism.
const Conf = goStruct("NetConf", "NetConf", { mtu: v.optional(goInt()) });
const decode = (text: string) => decodeConfig(Conf, goJsonParse(text) as Record<string, unknown>);

describe("numbers keep their text where JS would lose it", () => {
  test.each(["1.0", "1e3", "1.5E3", "1e20", "99999999999999999999"])("mtu %s is refused with Go's text", (n) => {
    expect(() => decode(`{"mtu":${n}}`)).toThrow(`json: cannot unmarshal number ${n} into Go struct field NetConf.mtu of type int`);
  });
  test.each([
    ["1500", 1500],
    ["-0", 0],
    ["-7", -7],
  ])("mtu %s decodes", (n, want) => {
    expect(decode(`{"mtu":${n}}`)).toMatchObject({ mtu: want });
  });
  test("a kept number prints and compares as its value", () => {
    const doc = goJsonParse(`{"x":1.0,"y":[2e0],"s":"a:1.0"}`) as { x: JsonNumber; y: JsonNumber[]; s: string };
    expect(doc.x).toBeInstanceOf(JsonNumber);
    expect(JSON.stringify(doc)).toBe(`{"x":1,"y":[2],"s":"a:1.0"}`);
    expect(Number(doc.x)).toBe(1);
  });
  test("a number where a struct belongs is a number to Go, not an empty struct", () => {
    const Outer = goStruct("NetConf", "NetConf", { ipam: v.optional(goStruct("IPAM", "types.IPAM", {})) });
    expect(() => decodeConfig(Outer, goJsonParse(`{"ipam":1.0}`) as Record<string, unknown>)).toThrow(
      "json: cannot unmarshal number into Go struct field NetConf.ipam of type types.IPAM",
    );
  });
  test("Go's 10,000 levels of nesting still parse", () => {
    const deep = `{"x":${"[".repeat(9998)}1.0${"]".repeat(9998)}}`;
    expect(() => goJsonParse(deep)).not.toThrow();
  });
});
