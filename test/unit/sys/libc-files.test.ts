/**
 * The libc file helpers that replaced node:fs on the plugin path must report what node:fs (and
 * Go's syscall package) report: same (dev, inode), same filesystem magic, same errnos.
 */
import { expect, test } from "bun:test";
import { constants } from "node:os";
import { fstatSync, openSync, closeSync, statSync, statfsSync } from "node:fs";
import { Errno, errnoName } from "../../../src/sys/errno.ts";
import { close, fstatId, openReadOnly, readFd, statfsType, statId } from "../../../src/sys/libc.ts";
import { PROCFS_MAGIC } from "../../../src/sys/index.ts";

test("the written-out errno table equals the platform's", () => {
  expect({ ...Errno } as Record<string, number>).toEqual({ ...constants.errno });
  expect([errnoName(2), errnoName(11), errnoName(95), errnoName(4000)]).toEqual(["ENOENT", "EWOULDBLOCK", "EOPNOTSUPP", "errno 4000"]);
});

test.each(["/proc/self/ns/net", "/proc/thread-self/ns/net", "/", "/proc/self/exe"])("statId(%s) is stat's (dev, ino)", (path) => {
  const id = statId(path);
  const st = statSync(path, { bigint: true });
  expect([id.ret, id.dev, id.ino]).toEqual([0, st.dev, st.ino]);
});

test("fstatId of an fd from openReadOnly is fstat's (dev, ino); read(2) reads it", () => {
  const r = openReadOnly("/proc/self/cmdline");
  expect(r.ret).toBeGreaterThanOrEqual(0);
  try {
    const id = fstatId(r.ret);
    const st = statSync("/proc/self/cmdline", { bigint: true });
    expect([id.dev, id.ino]).toEqual([st.dev, st.ino]);
    const buf = new Uint8Array(4096);
    expect(readFd(r.ret, buf).ret).toBeGreaterThan(0);
  } finally {
    close(r.ret);
  }
  const fd = openSync("/", "r");
  try {
    expect(fstatId(fd).ino).toBe(fstatSync(fd, { bigint: true }).ino);
  } finally {
    closeSync(fd);
  }
});

test("statfsType is statfs's f_type", () => {
  expect(statfsType("/proc/self").ret).toBe(PROCFS_MAGIC);
  expect(statfsType("/").ret).toBe(statfsSync("/").type);
});

test("errors come back as errnos, a NUL in a path as EINVAL (as Go's syscall package does)", () => {
  expect(openReadOnly("/nonexistent/x")).toEqual({ ret: -1, errno: Errno.ENOENT });
  expect(statfsType("/nonexistent/x")).toEqual({ ret: -1, errno: Errno.ENOENT });
  expect(statId("/nonexistent/x")).toMatchObject({ ret: -1, errno: Errno.ENOENT });
  expect(openReadOnly("/proc\0/self")).toEqual({ ret: -1, errno: Errno.EINVAL });
  expect(statId("/\0")).toMatchObject({ ret: -1, errno: Errno.EINVAL });
});
