/**
 * The path text and file helpers that replaced node:path and node:fs on host-local's path must
 * give what node gives: the same paths, the same file types and mtimes, the same error codes.
 */
import { expect, test } from "bun:test";
import { closeSync, constants as fsConstants, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  closeFile,
  dirnamePath,
  fdInfo,
  FileError,
  joinPath,
  linkPath,
  listDir,
  mkdirAll,
  O_APPEND,
  O_CREAT,
  O_NONBLOCK,
  O_NOFOLLOW,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  openPath,
  pathInfo,
  readText,
  resolvePath,
  truncateFd,
  unlinkPath,
  writeText,
  DT_DIR,
  DT_REG,
  listDirTyped,
} from "../../../src/sys/index.ts";
import { tempDir } from "../../harness.ts";

/** d_type of a symbolic link (dirent.h); src/sys names only the types disk-store acts on. */
const DT_LNK = 10;

const PATHS = ["/", "/a", "/a/", "/a//b", "/a/b/", "a", "a/b", "", ".", "..", "../x", "/a/../..", "/a/./b/../c", "a//b/", "//x", "/x/.."];

test.each(PATHS)("resolvePath(%p) and with a second segment equal node's resolve", (p) => {
  expect(resolvePath(p)).toBe(resolve(p));
  expect(resolvePath("/base/dir", p)).toBe(resolve("/base/dir", p));
  expect(resolvePath(p, "net")).toBe(resolve(p, "net"));
});

test.each(PATHS)("dirnamePath(%p) equals node's dirname", (p) => {
  expect(dirnamePath(p)).toBe(dirname(p));
});

test.each([...PATHS, "../..", "a/../..", "./a", "/opt/cni/bin", "opt/../../bin/"])("joinPath(%p, name) equals node's join", (p) => {
  expect(joinPath(p, "host-local")).toBe(join(p, "host-local"));
  expect(joinPath(p, "bridge-cni0.lock")).toBe(join(p, "bridge-cni0.lock"));
});

test("mkdirAll makes every missing parent with the mode, accepts a directory, refuses a file", () => {
  using dir = tempDir("tscni-files-");
  const deep = join(dir.path, "a", "b", "c");
  mkdirAll(deep, 0o750);
  mkdirAll(deep, 0o750);
  expect([statSync(deep).isDirectory(), statSync(join(dir.path, "a")).mode & 0o7777]).toEqual([true, 0o750 & ~process.umask()]);
  writeFileSync(join(dir.path, "f"), "x");
  expect(() => mkdirAll(join(dir.path, "f"), 0o755)).toThrow(expect.objectContaining({ code: "EEXIST", syscall: "mkdir" }));
  expect(() => mkdirAll(join(dir.path, "f", "g"), 0o755)).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
});

test("mkdirAll through a symlink to a directory succeeds as node's and Go's MkdirAll do; to a file it is EEXIST as node's", () => {
  using dir = tempDir("tscni-files-");
  mkdirSync(join(dir.path, "target"));
  writeFileSync(join(dir.path, "file"), "x");
  symlinkSync(join(dir.path, "target"), join(dir.path, "net"));
  symlinkSync(join(dir.path, "file"), join(dir.path, "tofile"));
  const outcome = (f: () => unknown): string => {
    try {
      f();
      return "ok";
    } catch (e) {
      return (e as FileError).code;
    }
  };
  for (const name of ["net", "tofile"]) {
    const path = join(dir.path, name);
    expect({ name, mine: outcome(() => mkdirAll(path, 0o750)) }).toEqual({ name, mine: outcome(() => mkdirSync(path, { recursive: true, mode: 0o750 })) });
  }
  expect(outcome(() => mkdirAll(join(dir.path, "net"), 0o750))).toBe("ok");
  expect(outcome(() => mkdirAll(join(dir.path, "tofile"), 0o750))).toBe("EEXIST");
});

test("the open flags are the platform's (node:fs constants): O_NOFOLLOW differs between x86_64 and arm64", () => {
  const mine = { O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, O_APPEND, O_NONBLOCK, O_NOFOLLOW };
  const node = { O_RDONLY: fsConstants.O_RDONLY, O_WRONLY: fsConstants.O_WRONLY, O_CREAT: fsConstants.O_CREAT, O_TRUNC: fsConstants.O_TRUNC, O_APPEND: fsConstants.O_APPEND, O_NONBLOCK: fsConstants.O_NONBLOCK, O_NOFOLLOW: fsConstants.O_NOFOLLOW };
  expect(mine).toEqual(node);
});

test("open, write, truncate, read, link, unlink and listing behave as node's", () => {
  using dir = tempDir("tscni-files-");
  const path = join(dir.path, "10.0.0.2");
  const fd = openPath(path, O_WRONLY | O_CREAT, 0o600);
  writeText(fd, "ctr\r\neth0", path);
  expect(readFileSync(path, "utf8")).toBe("ctr\r\neth0");
  truncateFd(fd, path);
  expect(readFileSync(path, "utf8")).toBe("");
  closeFile(fd);
  const wfd = openPath(path, O_WRONLY, 0o600);
  writeText(wfd, "c2\r\neth1 é", path);
  closeFile(wfd);
  const rfd = openPath(path, O_RDONLY | O_NOFOLLOW);
  try {
    expect(readText(rfd, path)).toBe("c2\r\neth1 é");
    const info = fdInfo(rfd, path);
    expect(info).toEqual({ isFile: true, isDirectory: false, mtimeMs: lstatSync(path).mtimeMs, size: lstatSync(path).size });
  } finally {
    closeFile(rfd);
  }
  // With the fstat length, as node's readFileSync: that many bytes, even if the file has grown since.
  const sized = openPath(path, O_RDONLY | O_NOFOLLOW);
  try {
    const { size } = fdInfo(sized, path);
    expect(size).toBe(Buffer.byteLength("c2\r\neth1 é"));
    const more = openPath(path, O_WRONLY | O_APPEND, 0o600);
    writeText(more, " grown", path);
    closeFile(more);
    expect(readText(sized, path, size)).toBe("c2\r\neth1 é");
  } finally {
    closeFile(sized);
  }
  linkPath(path, join(dir.path, "copy"));
  expect(() => linkPath(path, join(dir.path, "copy"))).toThrow(expect.objectContaining({ code: "EEXIST", syscall: "link" }));
  symlinkSync(path, join(dir.path, "sym"));
  mkdirSync(join(dir.path, "sub"));
  expect(listDir(dir.path).sort()).toEqual(readdirSync(dir.path).sort());
  expect(pathInfo(join(dir.path, "sym"))).toMatchObject({ isFile: false, isDirectory: false });
  expect(pathInfo(join(dir.path, "sub"))).toMatchObject({ isFile: false, isDirectory: true });
  expect(pathInfo(join(dir.path, "missing"))).toBeUndefined();
  expect(() => openPath(join(dir.path, "sym"), O_RDONLY | O_NOFOLLOW)).toThrow(expect.objectContaining({ code: "ELOOP", syscall: "open" }));
  unlinkPath(join(dir.path, "copy"));
  expect(() => unlinkPath(join(dir.path, "copy"))).toThrow(FileError);
  expect(listDir(dir.path).sort()).toEqual(["10.0.0.2", "sub", "sym"]);
  // The listing's d_type says what lstat says. The temp dir's filesystem fills d_type in, so
  // DT_UNKNOWN is a failure here: accepting it would pass a d_type read at the wrong offset (or
  // never read), which leaves disk-store statting every file.
  const kind = (name: string): number => {
    const st = lstatSync(join(dir.path, name));
    return st.isFile() ? DT_REG : st.isDirectory() ? DT_DIR : st.isSymbolicLink() ? DT_LNK : -1;
  };
  const typed = listDirTyped(dir.path);
  expect(typed.map((e) => [e.name, e.type]).sort()).toEqual([
    ["10.0.0.2", kind("10.0.0.2")],
    ["sub", kind("sub")],
    ["sym", kind("sym")],
  ]);
  expect([kind("10.0.0.2"), kind("sub"), kind("sym")]).toEqual([DT_REG, DT_DIR, DT_LNK]);
});

test("errors read like node's: code, syscall, path and message", () => {
  using dir = tempDir("tscni-files-");
  const missing = join(dir.path, "nope", "x");
  let mine: unknown;
  let node: unknown;
  try {
    openPath(missing, O_RDONLY);
  } catch (e) {
    mine = e;
  }
  try {
    closeSync(openSync(missing, "r"));
  } catch (e) {
    node = e;
  }
  const shape = (e: unknown) => ({ code: (e as FileError).code, syscall: (e as FileError).syscall, path: (e as FileError).path, message: (e as Error).message });
  expect(shape(mine)).toEqual(shape(node));
});
