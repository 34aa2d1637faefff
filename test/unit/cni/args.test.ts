import { describe, expect, test } from "bun:test";
import { argString, parseCniArgs } from "../../../src/cni/index.ts";

const ip = (v: string): string => {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(v)) throw new Error(`invalid IP address ${v}`);
  return v;
};

describe("CNI_ARGS", () => {
  test("empty means no args", () => expect(parseCniArgs("", { IP: ip })).toEqual({}));
  test("known keys are parsed", () => expect(parseCniArgs("IP=10.0.0.5", { IP: ip })).toEqual({ IP: "10.0.0.5" }));
  test.each([
    ["FOO=bar", 'ARGS: unknown args ["FOO=bar"]'],
    ["ignoreunknown=1;FOO=bar", 'ARGS: unknown args ["ignoreunknown=1" "FOO=bar"]'],
    ["ip=10.0.0.5", 'ARGS: unknown args ["ip=10.0.0.5"]'],
    ["IP", 'ARGS: invalid pair "IP"'],
    ["IP=1.2.3.4;", 'ARGS: invalid pair ""'],
    ["a=b=c", 'ARGS: invalid pair "a=b=c"'],
    ["IgnoreUnknown=yes", 'ARGS: error parsing value of pair "IgnoreUnknown=yes": boolean unmarshal error: invalid input yes'],
    ["IP=notanip", 'ARGS: error parsing value of pair "IP=notanip": invalid IP address notanip'],
  ])("%p → %s", (raw, msg) => {
    expect(() => parseCniArgs(raw, { IP: ip })).toThrow(msg);
  });
  test.each(["IgnoreUnknown=1;FOO=bar", "IgnoreUnknown=True;FOO=bar", "FOO=1;IgnoreUnknown=true"])("%p ignores unknowns", (raw) => {
    expect(parseCniArgs(raw, { IP: ip })).toEqual({});
  });
  test("errors are plugin-level (999)", () => {
    try {
      parseCniArgs("X=1", { MAC: argString });
      throw new Error("unreachable");
    } catch (e) {
      expect((e as { code: number }).code).toBe(999);
    }
  });
});
