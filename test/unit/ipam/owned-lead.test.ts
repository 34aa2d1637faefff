/**
 * ownedBy's scan hints (a file whose first bytes rule out the container ID is neither decoded nor
 * visited; `wanted` is asked only about names that start with an "l") keep every file Go's
 * host-local would match and drop none it would not: the same owners as a scan without hints and
 * as strings.TrimSpace comparisons, over contents that begin with every kind of white space Go
 * trims (ASCII and multi-byte), with a BOM, invalid UTF-8, control bytes, and IDs that differ in
 * each of their first bytes.
 */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Entry, ownedBy, type ScanDir } from "../../../src/ipam/host-local/disk-walk.ts";
import { goTrim } from "../../../src/ipam/host-local/go-text.ts";
import { scanDirTexts } from "../../../src/sys/index.ts";
import { tempDir } from "../../harness.ts";

const ID = "7d3a0e6b9c41f2a85e0d6c3b7a19f4e2d8c05b6a3e7f1d9c2b4a6e8f0c1d3b5a";
const IF = "eth0";
// Every rune Go's unicode.IsSpace accepts, ASCII and not (U+0085 and up are 2 or 3 UTF-8 bytes).
const SPACES = ["\t", "\n", "\v", "\f", "\r", " ", "\u0085", "\u00a0", "\u1680", "\u2000", "\u2005", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"];

/** Contents built around `id`: what host-local writes, and what it must (not) match. */
function contents(id: string): Buffer[] {
  const exact = `${id}\r\n${IF}`;
  const out: Buffer[] = [Buffer.from(exact), Buffer.from(id), Buffer.alloc(0)];
  for (const s of SPACES) {
    out.push(Buffer.from(`${s}${exact}`), Buffer.from(`${exact}${s}`), Buffer.from(`${s}${s}${id}${s}`));
  }
  for (let i = 0; i < Math.min(id.length, 6); i++) {
    const c = id.charCodeAt(i);
    const changed = `${id.slice(0, i)}${String.fromCharCode(c === 0x61 ? 0x62 : 0x61)}${id.slice(i + 1)}`;
    out.push(Buffer.from(`${changed}\r\n${IF}`), Buffer.from(changed));
  }
  out.push(
    Buffer.from(`\ufeff${exact}`), // Go keeps a BOM: U+FEFF is no space
    Buffer.concat([Buffer.from([0xff]), Buffer.from(exact)]),
    Buffer.concat([Buffer.from([0xc2]), Buffer.from(exact)]), // a lone lead byte
    Buffer.from(`\u0000${exact}`),
    Buffer.from(`\u001f${exact}`),
    Buffer.from(`${id}\n${IF}`),
    Buffer.from(`${id}\r\n${IF}0`),
    Buffer.from(`${id}\r\nETH0`),
    Buffer.from(id.toUpperCase()),
    Buffer.from(id.slice(0, 3)),
    Buffer.from(id.slice(0, 4)),
    Buffer.from(id.slice(0, 1)),
    Buffer.from(`${id.slice(0, 4)}\r\n${IF}`),
    Buffer.from(`${id.slice(0, 4)}x${id.slice(4)}\r\n${IF}`),
    Buffer.from(`${id}${id}`),
    Buffer.from(` ${id}\r\n${IF}\r\n`),
  );
  return out;
}

/** A data dir of one file per content (named as reservations are), the bookkeeping files holding the owner's text too. */
function seed(dir: string, id: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  contents(goTrim(id)).forEach((bytes, i) => files.set(`10.0.${i >> 8}.${i & 0xff}`, bytes));
  files.set(".10.0.9.9.new", Buffer.alloc(0));
  files.set(".10.0.9.8.new", Buffer.from(`${id}\r\n${IF}`));
  files.set("lock", Buffer.from(`${id}\r\n${IF}`));
  files.set("last_reserved_ip.0", Buffer.from(id));
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
  return files;
}

const names = (entries: Entry[]): string[] => entries.map((e) => e.name).sort();

/** What Go's host-local keeps, file by file: TrimSpace of the text equal to the owner's. */
function expected(files: Map<string, Buffer>, id: string) {
  const exact: string[] = [];
  const legacy: string[] = [];
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  for (const [name, bytes] of files) {
    if (name === "lock" || name.startsWith("last_reserved_ip.")) continue;
    const text = goTrim(decoder.decode(bytes));
    if (text === `${goTrim(id)}\r\n${IF}`) exact.push(name);
    else if (text === goTrim(id)) legacy.push(name);
  }
  return { exact: exact.sort(), legacy: legacy.sort() };
}

function counting(withHints: boolean) {
  const seen = { visited: 0 };
  const scan: ScanDir = (dir, wanted, visit, hints) =>
    scanDirTexts(
      dir,
      wanted,
      (e, type, text) => {
        if (type === 8) seen.visited++;
        visit(e, type, text);
      },
      withHints ? hints : undefined,
    );
  return { scan, seen };
}

for (const id of [ID, "c1", "ctr-é-1", " abcd ", "abcd"]) {
  test(`ownedBy with the scan's hints finds what Go's host-local finds (id ${JSON.stringify(id)})`, () => {
    using dir = tempDir();
    const files = seed(dir.path, id);
    const hinted = counting(true);
    const plain = counting(false);
    const got = ownedBy(dir.path, hinted.scan, id, IF);
    const reference = ownedBy(dir.path, plain.scan, id, IF);
    const want = expected(files, id);
    expect(want.exact.length).toBeGreaterThan(SPACES.length);
    expect(names(got.exact)).toEqual(want.exact);
    expect(names(got.legacy)).toEqual(want.legacy);
    expect(names(got.exact)).toEqual(names(reference.exact));
    expect(names(got.legacy)).toEqual(names(reference.legacy));
    expect(got.either.map((e) => e.name)).toEqual(reference.either.map((e) => e.name));
    expect(names(got.emptyScratch)).toEqual([".10.0.9.9.new"]);
    expect(names(reference.emptyScratch)).toEqual([".10.0.9.9.new"]);
    // The hints are in effect where the ID has four ASCII characters: fewer files reach `visit`.
    const owner = goTrim(id);
    const ruled = owner.length >= 4 && [...owner.slice(0, 4)].every((c) => c.charCodeAt(0) < 0x80);
    if (ruled) expect(hinted.seen.visited).toBeLessThan(plain.seen.visited);
    else expect(hinted.seen.visited).toBe(plain.seen.visited);
  });
}
