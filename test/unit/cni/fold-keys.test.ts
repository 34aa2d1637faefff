/**
 * foldKeys renames a config's keys to the schema's fields the way Go's decoder matches them: the
 * exact name first, else any case (the last key wins), `null` dropped unless the field is
 * nullable, unknown keys kept, maps of any value handed back as they are.
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { goFoldKey } from "../../../src/cni/chars.ts";
import { foldKeys, goField } from "../../../src/cni/go-json.ts";
import { goObjectMap, goString, goStruct } from "../../../src/cni/go-json-types.ts";

const Inner = goStruct("Inner", "main.Inner", { ipMasq: v.optional(goString()), gw: v.optional(v.nullable(goString())) });
const Outer = goStruct("Outer", "main.Outer", { name: v.optional(goString()), inner: v.optional(Inner), list: v.optional(v.array(Inner)), raw: v.optional(goObjectMap()) });

describe("foldKeys", () => {
  test("exact names stay, other cases are renamed to the field, unknown keys are kept as written", () => {
    expect(foldKeys(Outer, { name: "a", INNER: { IPMASQ: "x", Other: 1 }, Unknown: 2 })).toEqual({ name: "a", inner: { ipMasq: "x", Other: 1 }, Unknown: 2 });
  });

  test("of several keys naming one field the last wins, whichever case it is written in", () => {
    expect(foldKeys(Outer, JSON.parse('{"NAME":"a","name":"b","Name":"c"}'))).toEqual({ name: "c" });
    expect(foldKeys(Outer, JSON.parse('{"Name":"c","name":"b"}'))).toEqual({ name: "b" });
  });

  test("null leaves a field alone unless the field is nullable; list items fold too", () => {
    expect(foldKeys(Outer, { name: null, list: [{ GW: null, ipmasq: null }, { ipMasq: "y" }] })).toEqual({ list: [{ gw: null }, { ipMasq: "y" }] });
  });

  test("a map of values of any type is handed back as given, keys untouched", () => {
    const raw = JSON.parse('{"CNIVersion":"1.0.0","__proto__":{"ips":[]},"x":null}');
    const out = foldKeys(Outer, { raw }) as { raw: unknown };
    expect(out.raw).toBe(raw);
  });

  test("Go's folding: long s (U+017F) is an s and the Kelvin sign a k; dotted and dotless i are not i", () => {
    expect(foldKeys(Outer, JSON.parse('{"na\u006de":"a","inner":{"ipma\u017fq":"x"}}'))).toEqual({ name: "a", inner: { ipMasq: "x" } });
    expect(goField({ "cniVer\u017fion": "0.3.1" }, "cniVersion")).toBe("0.3.1");
    expect(goFoldKey("\u212Aey")).toBe("key");
    expect([goFoldKey("\u0130pam"), goFoldKey("\u0131pam")]).not.toContain("ipam");
  });
});
