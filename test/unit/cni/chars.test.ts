import { describe, expect, test } from "bun:test";
import { isJsSpace, utf8Length } from "../../../src/cni/chars.ts";
import { validateIfName } from "../../../src/cni/env.ts";
import { goMarshal, mayHoldLossyNumber } from "../../../src/cni/go-json.ts";
import { isValidName } from "../../../src/cni/names.ts";
import { parseVersion } from "../../../src/cni/version.ts";

// The plugin path tests these characters by hand instead of with regexes (src/cni/chars.ts says
// why). Each hand scan must answer exactly what the regex it replaced answers; the regexes are
// written out here as the specification.
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;
const IFNAME_BAD = /[/:\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const LOSSY_NUMBER = /[:,[]\s*(?:-0|-?[1-9][0-9]{15,}|-?[0-9]+[.eE])/;
const SIGNED_INT = /^[+-]?\d+$/;
const GO_ESCAPED = /[<>&\u2028\u2029]/g;

/** A small deterministic generator, so a failure names a reproducible input. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomText(next: () => number, alphabet: string, maxLength: number): string {
  let out = "";
  const n = Math.floor(next() * (maxLength + 1));
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(next() * alphabet.length)];
  return out;
}

const ifNameRefused = (name: string): boolean => {
  try {
    validateIfName(name);
    return false;
  } catch (err) {
    return String(err).includes("contains / or : or whitespace");
  }
};

describe("hand scans answer what the regexes answered", () => {
  test("isJsSpace is \\s on every UTF-16 code unit", () => {
    for (let c = 0; c <= 0xffff; c++) {
      if (isJsSpace(c) !== /\s/.test(String.fromCharCode(c))) throw new Error(`code unit ${c.toString(16)}`);
    }
  });

  test("the interface-name check refuses exactly the regex's characters, on every code unit", () => {
    for (let c = 0; c <= 0xffff; c++) {
      const name = `e${String.fromCharCode(c)}0`;
      if (ifNameRefused(name) !== IFNAME_BAD.test(name)) throw new Error(`code unit ${c.toString(16)}`);
    }
    expect(ifNameRefused("eth0")).toBe(false);
    expect(ifNameRefused("a b")).toBe(true);
  });

  test("isValidName is the spec's name rule, on every code unit and on random names", () => {
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      for (const name of [ch, `a${ch}`, `${ch}a`]) if (isValidName(name) !== NAME.test(name)) throw new Error(`name ${JSON.stringify(name)}`);
    }
    const next = rng(1);
    for (let i = 0; i < 20000; i++) {
      const name = randomText(next, "aZ09_.-/: \n\u00e9", 8);
      expect([name, isValidName(name)]).toEqual([name, NAME.test(name)]);
    }
    expect(isValidName("")).toBe(false);
    expect(isValidName("name\n")).toBe(false);
  });

  test("mayHoldLossyNumber is the lossy-number regex, on crafted and random documents", () => {
    const crafted = [
      `{"a":1}`,
      `{"a":1.0}`,
      `{"a":-0}`,
      `{"a":-01}`,
      `{"a": -0.5}`,
      `{"a":1e3}`,
      `{"a":1E3}`,
      `{"a":9999999999999999}`,
      `{"a":999999999999999}`,
      `{"a":0999999999999999}`,
      `{"a":-9999999999999999}`,
      `{"a":[1,2.5]}`,
      `{"a":[ \n\t1.5]}`,
      `{"a":\u00a01.5}`,
      `{"a":\ufeff1.5}`,
      `{"a":"x:1.5"}`,
      `{"cniVersion":"1.0.0","name":"cni-loopback","type":"loopback"}`,
      `{"a":-}`,
      `{"a":-x}`,
      `:`,
      `,`,
      `[`,
      `:-`,
      `:1`,
      `:1.`,
      ``,
    ];
    for (const text of crafted) expect([text, mayHoldLossyNumber(text)]).toEqual([text, LOSSY_NUMBER.test(text)]);
    const next = rng(2);
    for (let i = 0; i < 50000; i++) {
      const text = randomText(next, ':,[]{}" -+0123456789.eEx\t\n\u00a0\u2028', 24);
      if (mayHoldLossyNumber(text) !== LOSSY_NUMBER.test(text)) throw new Error(`text ${JSON.stringify(text)}`);
    }
  });

  test("parseVersion accepts and refuses the parts the regex did", () => {
    const next = rng(3);
    for (let i = 0; i < 20000; i++) {
      const part = randomText(next, "+-019a. ", 4);
      if (part.includes(".")) continue;
      let accepted = true;
      try {
        parseVersion(`${part}.0.0`);
      } catch {
        accepted = false;
      }
      expect([part, accepted]).toEqual([part, SIGNED_INT.test(part)]);
    }
    expect(parseVersion("+1.-2")).toEqual([1, -2, 0]);
    expect(() => parseVersion("1.x")).toThrow(`failed to convert minor version part "x": strconv.Atoi: parsing "x": invalid syntax`);
  });

  test("goMarshal escapes what Go escapes and leaves the rest byte for byte", () => {
    const next = rng(4);
    for (let i = 0; i < 5000; i++) {
      const value = { s: randomText(next, "ab<>&\u2028\u2029\"\\é", 10), n: i };
      const want = JSON.stringify(value, null, 4).replace(GO_ESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
      expect(goMarshal(value, 4)).toBe(want);
    }
  });

  test("utf8Length counts what Buffer.byteLength counts: every code unit alone, every surrogate pairing, random mixes", () => {
    for (let c = 0; c <= 0xffff; c++) {
      const one = String.fromCharCode(c);
      if (utf8Length(one) !== Buffer.byteLength(one)) throw new Error(`code unit ${c.toString(16)}`);
    }
    const units = ["a", "\u007f", "\u0080", "\u07ff", "\u0800", "\uffff", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00"];
    for (const x of units) for (const y of units) for (const z of units) expect([x + y + z, utf8Length(x + y + z)]).toEqual([x + y + z, Buffer.byteLength(x + y + z)]);
    const next = rng(5);
    for (let i = 0; i < 20000; i++) {
      const text = randomText(next, "ae\u00e9\u0800\u20ac\ud800\udc00\udbff\udfff/:", 20);
      if (utf8Length(text) !== Buffer.byteLength(text)) throw new Error(`text ${JSON.stringify(text)}`);
    }
  });

  test("validateIfName refuses above 15 UTF-8 bytes, not 15 characters", () => {
    expect(() => validateIfName("a".repeat(15))).not.toThrow();
    expect(() => validateIfName("a".repeat(16))).toThrow("interface name is too long");
    expect(() => validateIfName("\u00e9".repeat(7) + "a")).not.toThrow();
    expect(() => validateIfName("\u00e9".repeat(8))).toThrow("interface name is too long");
    expect(() => validateIfName("\ud83d\ude00".repeat(3) + "abc")).not.toThrow();
    expect(() => validateIfName("\ud83d\ude00".repeat(4))).toThrow("interface name is too long");
    expect(() => validateIfName("\ud800".repeat(5))).not.toThrow();
    expect(() => validateIfName("\ud800".repeat(5) + "a")).toThrow("interface name is too long");
  });
});
