import { describe, expect, test } from "bun:test";
import * as bunFfi from "bun:ffi";
import { CString, dlopen, ptr, read, T } from "../../../src/sys/ffi.ts";

// src/sys/ffi.ts reaches Bun.FFI without loading the bun:ffi module (a per-exec cost). It must be
// what bun:ffi gives for everything tscni uses; a Bun upgrade that changes that fails here.
describe("src/sys/ffi.ts is bun:ffi for what tscni uses", () => {
  test("the FFIType values are bun:ffi's", () => {
    expect(T).toEqual({
      i32: bunFfi.FFIType.i32,
      u32: bunFfi.FFIType.u32,
      i64: bunFfi.FFIType.i64,
      u64: bunFfi.FFIType.u64,
      ptr: bunFfi.FFIType.ptr,
      i64Fast: bunFfi.FFIType.i64_fast,
    });
  });

  test("read and CString are bun:ffi's own; ptr gives bun:ffi's address", () => {
    expect(read).toBe(bunFfi.read);
    expect(CString).toBe(bunFfi.CString);
    const view = new Uint8Array(64);
    expect(ptr(view)).toBe(bunFfi.ptr(view));
    expect(ptr(view, 8)).toBe(bunFfi.ptr(view, 8));
  });

  test("dlopen binds the same calls: return values, pointers, errno, i64_fast", () => {
    const symbols = {
      getpid: { args: [], returns: T.i32 },
      __errno_location: { args: [], returns: T.ptr },
      read: { args: [T.i32, T.ptr, T.u64], returns: T.i64Fast },
      strerror: { args: [T.i32], returns: T.ptr },
    } as const;
    const ours = dlopen("libc.so.6", symbols).symbols;
    const theirs = bunFfi.dlopen("libc.so.6", symbols).symbols;
    expect(ours.getpid()).toBe(process.pid);
    expect(ours.getpid()).toBe(theirs.getpid());
    const buf = new Uint8Array(4);
    const r = ours.read(-1, buf, 4);
    expect(r).toBe(-1);
    expect(typeof r).toBe("number");
    const errnoPtr = ours.__errno_location();
    expect(errnoPtr).not.toBeNull();
    expect(read.i32(errnoPtr as bunFfi.Pointer, 0)).toBe(9); // EBADF
    expect(new CString(ours.strerror(9) as bunFfi.Pointer).toString()).toBe(new bunFfi.CString(theirs.strerror(9) as bunFfi.Pointer).toString());
  });

  test("a failed dlopen throws, as bun:ffi's does", () => {
    expect(() => dlopen("libdoes-not-exist.so.9", { f: { args: [], returns: T.i32 } })).toThrow();
    expect(() => bunFfi.dlopen("libdoes-not-exist.so.9", { f: { args: [], returns: T.i32 } })).toThrow();
  });
});
