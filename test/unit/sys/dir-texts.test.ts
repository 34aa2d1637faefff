import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { entryName, leadWord, scanDirTexts } from "../../../src/sys/dir-texts.ts";
import { DT_DIR, DT_REG, readRegularText } from "../../../src/sys/files.ts";
import { tempDir } from "../../harness.ts";

const DT_FIFO = 1;
const DT_LNK = 10;

function scan(dir: string, wanted: (name: string) => boolean = () => true): Map<string, { type: number; text: string | undefined }> {
  const out = new Map<string, { type: number; text: string | undefined }>();
  scanDirTexts(
    dir,
    (e) => wanted(entryName(e)),
    (e, type, text) => void out.set(entryName(e), { type, text }),
  );
  return out;
}

test("scanDirTexts gives every entry but . and .. once, regular files with readRegularText's text", () => {
  using dir = tempDir();
  const files: [string, Buffer][] = [
    ["10.1.2.3", Buffer.from("ctr\r\neth0")],
    ["empty", Buffer.alloc(0)],
    ["big", Buffer.alloc(10_000, 0x61)],
    ["bom é", Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xff])],
    [".hidden", Buffer.from("x")],
    ["..two", Buffer.from("y")],
  ];
  for (const [name, bytes] of files) writeFileSync(join(dir.path, name), bytes);
  mkdirSync(join(dir.path, "sub"));
  const seen = scan(dir.path);
  expect([...seen.keys()].sort()).toEqual(readdirSync(dir.path).sort());
  for (const [name] of files) {
    expect(seen.get(name)?.type).toBe(DT_REG);
    expect(seen.get(name)?.text).toBe(readRegularText(join(dir.path, name)));
  }
  expect(seen.get("big")?.text?.length).toBe(10_000);
  expect(seen.get("sub")).toEqual({ type: DT_DIR, text: undefined });
});

test("scanDirTexts reads nothing it is not asked to, never follows a symlink, never opens a FIFO's reader", () => {
  using dir = tempDir();
  writeFileSync(join(dir.path, "target"), "a\r\neth0");
  writeFileSync(join(dir.path, "lock"), "");
  symlinkSync(join(dir.path, "target"), join(dir.path, "link"));
  execFileSync("mkfifo", [join(dir.path, "fifo")]);
  const seen = scan(dir.path, (name) => name !== "target");
  expect(seen.get("target")).toEqual({ type: DT_REG, text: undefined });
  expect(seen.get("lock")).toEqual({ type: DT_REG, text: "" });
  expect(seen.get("link")).toEqual({ type: DT_LNK, text: undefined });
  expect(seen.get("fifo")).toEqual({ type: DT_FIFO, text: undefined });
});

test("wanted is given each regular file's first name byte; a missing directory is a FileError", () => {
  using dir = tempDir();
  writeFileSync(join(dir.path, "lock"), "");
  writeFileSync(join(dir.path, "é"), "");
  const firsts: [string, number][] = [];
  const wanted = (e: number, first: number): boolean => {
    firsts.push([entryName(e), first]);
    return false;
  };
  scanDirTexts(dir.path, wanted, () => undefined);
  expect(firsts.sort()).toEqual([["lock", 0x6c], ["é", 0xc3]]);
  expect(() => scanDirTexts(join(dir.path, "missing"), () => true, () => undefined)).toThrow(/ENOENT.*scandir/);
});

test("with a lead, a file whose first byte is printable ASCII and whose first four bytes are not the lead is skipped, unread; the rest as without", () => {
  using dir = tempDir();
  const lead = leadWord("abcd-ctr");
  expect(lead).toBe(0x64636261);
  expect([leadWord("abc"), leadWord("abcé"), leadWord("éabc")]).toEqual([0, 0, 0]);
  const files: [string, string | Buffer, boolean][] = [
    ["lead", "abcd-ctr\r\neth0", true],
    ["lead-only", "abcd", true],
    ["other", "abce-ctr\r\neth0", false],
    ["short", "abc", false],
    ["one", "b", false],
    ["space", " abcd", true],
    ["tab", "\tabcd", true],
    ["control", "\u0001abcd", true],
    ["nbsp", "\u00a0abcd", true],
    ["ideographic", "\u3000abcd", true],
    ["bom", "\ufeffabcd", true],
    ["invalid", Buffer.from([0xff, 0x61]), true],
    ["empty", "", true],
    ["tilde", "~bcd", false],
    ["del", "\u007fbcd", false],
  ];
  for (const [name, bytes] of files) writeFileSync(join(dir.path, name), bytes);
  const seen = new Map<string, string | undefined>();
  const asked: string[] = [];
  const wanted = (e: number): boolean => void asked.push(entryName(e)) === undefined;
  scanDirTexts(dir.path, wanted, (e, _type, text) => void seen.set(entryName(e), text), { askFirst: 0x74, lead });
  for (const [name, , kept] of files) {
    expect([name, seen.has(name)]).toEqual([name, kept]);
    if (kept) expect(seen.get(name)).toBe(readRegularText(join(dir.path, name)));
  }
  expect(asked.sort()).toEqual(["tab", "tilde"]);
});
