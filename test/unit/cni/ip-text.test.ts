/**
 * src/cni/ip-text.ts: the scan that leaves Go's own texts alone says "already Go's text" exactly
 * when the full path (ipaddr.js bytes, then Go's String()) gives the text back, over IPv6 texts
 * written every way Go accepts (case, leading zeros, any "::", dotted tails, mapped); and the
 * texts the v1.9.1 oracle printed (test/differential/result-ip-text.test.ts compares live).
 */
import { describe, expect, test } from "bun:test";
import { canonicalV6, goText } from "../../../src/cni/ip-text.ts";
import { ipBytesString, parseIPLiteral } from "../../../src/ip/index.ts";
import { seededRandom } from "../../fixtures/seeded-random.ts";

/** Go's String() through ipaddr.js only, independent of the scan. */
function fullText(s: string): string {
  const b = Uint8Array.from(parseIPLiteral(s)?.toByteArray() ?? []);
  const mapped = b.byteLength === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return b.byteLength === 4 || mapped ? b.subarray(b.byteLength - 4).join(".") : ipBytesString(b);
}

function writeV6(rnd: ReturnType<typeof seededRandom>): string {
  const groups: number[] = [];
  const shape = rnd.below(4);
  for (let i = 0; i < 8; i++) {
    const zero = shape === 0 ? rnd.below(2) === 0 : rnd.below(5) === 0;
    groups.push(zero ? 0 : rnd.below(4) === 0 ? rnd.below(16) : rnd.below(0x10000));
  }
  if (rnd.below(6) === 0) groups.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
  let parts = groups.map((g) => {
    let h = g.toString(16);
    if (rnd.below(6) === 0) h = h.padStart(1 + rnd.below(4), "0");
    return rnd.below(8) === 0 ? h.toUpperCase() : h;
  });
  let dotted = "";
  if (rnd.below(6) === 0) {
    const [c = 0, d = 0] = groups.slice(6);
    dotted = `${c >> 8}.${c & 255}.${d >> 8}.${d & 255}`;
    parts = parts.slice(0, 6);
  }
  // Elide some run of zero groups (any run, of any length >= 1), or none.
  const zeros: [number, number][] = [];
  for (let i = 0; i < parts.length; i++) {
    if (groups[i] !== 0) continue;
    let j = i;
    while (j < parts.length && groups[j] === 0) j++;
    zeros.push([i, j - i]);
    i = j;
  }
  const tail = dotted === "" ? [] : [dotted];
  const pick = zeros[rnd.below(zeros.length + 1)];
  if (pick === undefined) return [...parts, ...tail].join(":");
  const [at, full] = pick;
  const len = 1 + rnd.below(full);
  const left = parts.slice(0, at).join(":");
  const right = [...parts.slice(at + len), ...tail].join(":");
  return `${left}::${right}`;
}

describe("canonicalV6", () => {
  test("says 'Go's text' exactly when the full path gives the text back", () => {
    const rnd = seededRandom(20261207);
    let kept = 0;
    let changed = 0;
    for (let n = 0; n < 40000; n++) {
      const s = writeV6(rnd);
      if (parseIPLiteral(s) === undefined) continue;
      const same = fullText(s) === s;
      if (canonicalV6(s, s.length) !== same) throw new Error(`${s}: scan ${!same}, full path ${fullText(s)}`);
      if (same) kept++;
      else changed++;
      expect(goText(s, false)).toBe(fullText(s));
    }
    // Both answers are well represented.
    expect(kept).toBeGreaterThan(3000);
    expect(changed).toBeGreaterThan(3000);
  });
});

describe("Go's texts, as the v1.9.1 oracle printed them", () => {
  test.each([
    ["2001:DB8:0::0002", "2001:db8::2"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:a00:1", "10.0.0.1"],
    ["::1.2.3.4", "::102:304"],
    ["1:0:0:1:0:0:1:1", "1::1:0:0:1:1"],
    ["10.0.0.1", "10.0.0.1"],
    ["::", "::"],
    ["::ffff", "::ffff"],
  ])("IP %s -> %s", (given, go) => expect(goText(given, false)).toBe(go));

  test.each([
    ["2001:DB8:0::0002/64", "2001:db8::2/64"],
    ["::ffff:10.0.0.2/120", "10.0.0.2/24"],
    ["::ffff:10.0.0.2/97", "10.0.0.2/1"],
    ["::ffff:10.0.0.2/64", "10.0.0.2/0"],
    ["::ffff:1.2.3.4/96", "1.2.3.4/0"],
    ["10.0.0.1/024", "10.0.0.1/24"],
    ["::1/0128", "::1/128"],
    ["0.0.0.0/00", "0.0.0.0/0"],
    ["::1.2.3.4/120", "::102:304/120"],
    ["10.0.0.2/24", "10.0.0.2/24"],
    ["fe80::1/0", "fe80::1/0"],
  ])("CIDR %s -> %s", (given, go) => expect(goText(given, true)).toBe(go));
});

describe("ipaddr.js stays unloaded for Go's own texts", () => {
  /** In a fresh process: parse a result, then say whether ipaddr.js was evaluated. */
  async function loadsIpaddr(result: object): Promise<boolean> {
    const code = `
      const { parseResult } = await import(${JSON.stringify(`${import.meta.dir}/../../../src/cni/convert.ts`)});
      parseResult(${JSON.stringify(result)}, "1.0.0");
      console.log(Object.keys(require.cache).some((k) => k.includes("/ipaddr.js/")));`;
    const p = Bun.spawn([process.execPath, "-e", code], { stdout: "pipe", stderr: "inherit" });
    const out = (await new Response(p.stdout).text()).trim();
    expect(await p.exited).toBe(0);
    return out === "true";
  }

  test("a dual-stack result as bridge writes it: not loaded; one non-canonical address: loaded", async () => {
    const canonical = {
      cniVersion: "1.0.0",
      ips: [{ address: "10.88.0.5/16", gateway: "10.88.0.1" }, { address: "2001:4860:4860::5/64", gateway: "2001:4860:4860::1" }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.88.0.1" }, { dst: "::/0", gw: "fe80::1" }],
    };
    expect(await loadsIpaddr(canonical)).toBe(false);
    expect(await loadsIpaddr({ ...canonical, routes: [{ dst: "::/0", gw: "FE80::1" }] })).toBe(true);
  });
});
