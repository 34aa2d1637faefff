/**
 * Every field of every plugin schema, fed every JSON type: the type Go's struct field takes (and
 * `null`) decodes; every other type fails with Go's `json: cannot unmarshal …` sentence naming
 * that field, never passes silently (an array for an object was once taken as `{}`).
 */
import { describe, expect, test } from "bun:test";
import type { GenericSchema } from "valibot";
import { decodeBridgeConfig, BridgeConfig } from "../../../plugins/bridge/config.ts";
import { LoopbackConfig } from "../../../plugins/loopback/config.ts";
import { decodePortmapConfig, PortmapConfig } from "../../../plugins/portmap/config.ts";
import { CniError, decodeConfig } from "../../../src/cni/index.ts";
import { HostLocalNetConf, loadHostLocalConfig } from "../../../src/ipam/index.ts";

type Kind = "bool" | "number" | "string" | "array" | "object" | "any";

const SAMPLES: Record<Exclude<Kind, "any">, unknown> = { bool: true, number: 7, string: "x", array: [], object: {} };

interface Shape {
  type?: string;
  wrapped?: unknown;
  entries?: Record<string, unknown>;
  item?: unknown;
}

function unwrap(schema: unknown): Shape {
  let s = schema as Shape;
  while (s.wrapped !== undefined) s = s.wrapped as Shape;
  return s;
}

function kindOf(s: Shape): Kind {
  switch (s.type) {
    case "boolean":
      return "bool";
    case "number":
      return "number";
    case "string":
      return "string";
    case "array":
      return "array";
    case "loose_object":
    case "object":
    case "record":
      return "object";
    default:
      return "any";
  }
}

interface Field {
  /** JSON keys from the root; a number means "inside a one-element array". */
  path: (string | number)[];
  kind: Kind;
}

function fields(schema: unknown, path: (string | number)[] = [], depth = 0): Field[] {
  const s = unwrap(schema);
  const out: Field[] = path.length === 0 ? [] : [{ path, kind: kindOf(s) }];
  if (depth > 6) return out;
  if (s.entries !== undefined) {
    for (const [k, child] of Object.entries(s.entries)) out.push(...fields(child, [...path, k], depth + 1));
  } else if (s.type === "array" && s.item !== undefined) {
    out.push(...fields(s.item, [...path, 0], depth + 1));
  }
  return out;
}

/** A config with `value` at `path` (arrays of one element on the way). */
function place(path: (string | number)[], value: unknown): Record<string, unknown> {
  let v = value;
  for (let i = path.length - 1; i >= 0; i--) {
    const k = path[i]!;
    v = typeof k === "number" ? [v] : { [k]: v };
  }
  return { cniVersion: "1.0.0", name: "fuzz", ...(v as Record<string, unknown>) };
}

const PLUGINS: [string, GenericSchema, (raw: Record<string, unknown>) => unknown][] = [
  ["bridge", BridgeConfig, decodeBridgeConfig],
  ["portmap", PortmapConfig, decodePortmapConfig],
  ["loopback", LoopbackConfig, (raw) => decodeConfig(LoopbackConfig, raw)],
  ["host-local", HostLocalNetConf, (raw) => decodeConfig(HostLocalNetConf, raw)],
];

function outcome(decode: (raw: Record<string, unknown>) => unknown, raw: Record<string, unknown>): string {
  try {
    decode(raw);
    return "ok";
  } catch (err) {
    const e = CniError.from(err);
    return `${e.code} ${e.message}`;
  }
}

const GO_KIND: Record<string, string> = { bool: "bool", number: "number", string: "string", array: "array", object: "object" };

for (const [plugin, schema, decode] of PLUGINS) {
  describe(`${plugin}: every field × every JSON type`, () => {
    const all = fields(schema).filter((f) => f.kind !== "any");
    test("the walk found the fields", () => {
      expect(all.length).toBeGreaterThan(plugin === "loopback" ? 10 : 15);
    });
    for (const f of all) {
      const named = f.path.filter((k): k is string => typeof k === "string").join(".");
      test(`${f.path.join(".")} (${f.kind})`, () => {
        for (const [kind, sample] of Object.entries(SAMPLES)) {
          const got = outcome(decode, place(f.path, sample));
          if (kind === f.kind) {
            // The right type decodes (a later semantic check is not this test's business).
            expect(got).not.toContain("json: cannot unmarshal");
            continue;
          }
          const m = /^999 (?:[\w ]+: )*json: cannot unmarshal (\w+)(?: \S+)? into Go struct field (\w*)\.(\S+) of type (.+)$/.exec(got);
          expect(m, `${plugin} ${f.path.join(".")} = ${JSON.stringify(sample)} → ${got}`).not.toBeNull();
          expect(m?.[1]).toBe(GO_KIND[kind]);
          // Go names the field by its JSON path (route entries decode themselves: Go stops at `routes`).
          expect(named.startsWith(m?.[3] ?? "?"), `${got} names ${named}`).toBe(true);
        }
        expect(outcome(decode, place(f.path, null))).not.toContain("json: cannot unmarshal");
      });
    }
  });
}

describe("Go's order and texts", () => {
  test("the first wrong field in the document is the one reported", () => {
    expect(outcome(decodeBridgeConfig, { name: "n", mtu: "x", vlan: "y" })).toBe(
      "999 failed to load netconf: json: cannot unmarshal string into Go struct field NetConf.mtu of type int",
    );
    expect(outcome(decodeBridgeConfig, { name: "n", vlan: "y", mtu: "x" })).toBe(
      "999 failed to load netconf: json: cannot unmarshal string into Go struct field NetConf.vlan of type int",
    );
  });
  test.each([
    [{ ipam: [] }, "NetConf.ipam of type types.IPAM"],
    [{ vlanTrunk: [{ id: "x" }] }, "VlanTrunk.vlanTrunk.id of type int"],
    [{ args: { cni: [] } }, ".args.cni of type main.BridgeArgs"],
    [{ capabilities: { a: 1 } }, "NetConf.capabilities of type bool"],
    [{ mtu: 1.5 }, "number 1.5 into Go struct field NetConf.mtu of type int"],
    [{ mtu: 1e20 }, "into Go struct field NetConf.mtu of type int"],
  ])("bridge %j → …%s", (extra, tail) => {
    const got = outcome(decodeBridgeConfig, { name: "n", ...extra });
    expect(got).toStartWith("999 failed to load netconf: json: cannot unmarshal ");
    expect(got).toEndWith(tail);
  });
  test("a null subnet fails as types.IPNet does", () => {
    const raw = { name: "n", ipam: { ranges: [[{ subnet: null }]] } };
    expect(outcome((r) => loadHostLocalConfig(r, ""), raw)).toBe("999 invalid CIDR address: ");
    expect(outcome((r) => loadHostLocalConfig(r, ""), { name: "n", ipam: { subnet: null } })).toBe("999 invalid CIDR address: ");
  });
});
