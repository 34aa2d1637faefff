import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { O_NOFOLLOW, O_RDONLY, openPath, readRegularText, readText } from "../../../src/sys/files.ts";
import { tempDir } from "../../harness.ts";

test("readRegularText reads a regular file as readText after open does (UTF-8, a leading BOM kept as Go keeps it), whatever its length", () => {
  using dir = tempDir();
  const files: [string, Buffer][] = [
    ["small", Buffer.from("ctr\r\neth0 é")],
    ["empty", Buffer.alloc(0)],
    ["big", Buffer.alloc(10_000, 0x61)],
    ["bom", Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xff])],
  ];
  for (const [name, bytes] of files) writeFileSync(join(dir.path, name), bytes);
  for (const [name, bytes] of files) {
    const path = join(dir.path, name);
    const fd = openPath(path, O_RDONLY | O_NOFOLLOW);
    const expected = readText(fd, path);
    closeSync(fd);
    expect(expected).toBe(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes));
    expect(readRegularText(path)).toBe(expected);
  }
  expect(readRegularText(join(dir.path, "big"))?.length).toBe(10_000);
  expect(readRegularText(join(dir.path, "bom"))?.charCodeAt(0)).toBe(0xfeff);
});

test("readRegularText refuses (undefined, never blocking) what is not a regular file, and never follows a final symlink", () => {
  using dir = tempDir();
  writeFileSync(join(dir.path, "target"), "a\r\neth0");
  symlinkSync(join(dir.path, "target"), join(dir.path, "link"));
  mkdirSync(join(dir.path, "sub"));
  execFileSync("mkfifo", [join(dir.path, "fifo")]);
  expect(readRegularText(join(dir.path, "target"))).toBe("a\r\neth0");
  expect(readRegularText(join(dir.path, "link"))).toBeUndefined();
  expect(readRegularText(join(dir.path, "sub"))).toBeUndefined();
  expect(readRegularText(join(dir.path, "fifo"))).toBeUndefined();
  // A FIFO with a writer holding it open: still refused, not read.
  const w = openSync(join(dir.path, "fifo"), "r+");
  expect(readRegularText(join(dir.path, "fifo"))).toBeUndefined();
  closeSync(w);
  expect(readRegularText("/dev/zero")).toBeUndefined();
  expect(readRegularText(join(dir.path, "missing"))).toBeUndefined();
  expect(readRegularText(`${join(dir.path, "target")}\0x`)).toBeUndefined();
  expect(readFileSync(join(dir.path, "target"), "utf8")).toBe("a\r\neth0");
});
