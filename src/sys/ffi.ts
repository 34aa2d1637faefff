/**
 * Bun's FFI without the `bun:ffi` module. That module is JavaScript that Bun compiles from source
 * in every process that imports it (~0.37 M instructions and ~28 page faults per exec, measured;
 * docs/performance.md, per-exec floor), and for what tscni uses (dlopen of integer and pointer
 * signatures, read, CString, ptr) it only forwards to the native object it wraps, `Bun.FFI`: in
 * Bun 1.4.4 its dlopen calls the native dlopen, throws the Error that returns on failure and binds
 * `close`. test/unit/sys/ffi.test.ts checks these against bun:ffi's own. Types only come from
 * bun:ffi (a type import, erased).
 */
import type { CString as CStringClass, FFIType, Library, Pointer, read as readFns, Symbols } from "bun:ffi";

interface NativeFfi {
  dlopen(path: string, symbols: Symbols): Library<Symbols> | Error;
  read: typeof readFns;
  CString: typeof CStringClass;
  ptr(view: NodeJS.TypedArray | ArrayBufferLike | DataView, byteOffset?: number): Pointer;
}

const native = (Bun as unknown as { FFI?: NativeFfi }).FFI;

function ffi(): NativeFfi {
  if (native === undefined) throw new Error("this Bun has no Bun.FFI: run tscni on the Bun version it was built with");
  return native;
}

/** bun:ffi's `FFIType` values (a public enum), without loading the module that defines them. */
export const T = {
  i32: 5 as FFIType.i32,
  u32: 6 as FFIType.u32,
  i64: 7 as FFIType.i64,
  u64: 8 as FFIType.u64,
  ptr: 12 as FFIType.ptr,
  i64Fast: 15 as FFIType.i64_fast,
} as const;

/** bun:ffi's dlopen, minus the module. */
export function dlopen<Fns extends Symbols>(path: string, symbols: Fns): Library<Fns> {
  const lib = ffi().dlopen(path, symbols);
  if (lib instanceof Error) throw lib;
  return lib as unknown as Library<Fns>;
}

export const read: typeof readFns = ffi().read;
export const CString: typeof CStringClass = ffi().CString;

/** The address of a view's bytes (bun:ffi's `ptr`). */
export function ptr(view: NodeJS.TypedArray | ArrayBufferLike | DataView, byteOffset?: number): Pointer {
  return byteOffset === undefined ? ffi().ptr(view) : ffi().ptr(view, byteOffset);
}
