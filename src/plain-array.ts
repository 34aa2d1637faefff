/**
 * Array helpers written as plain loops, for the plugin-call paths. JSC's array builtins that are
 * written in JS (map, filter, some, find, findIndex, flatMap, Array.from) and its generators are
 * compiled from source on their first use in each process: ~0.1 M instructions apiece, 0.6 M for
 * Array.from (docs/performance.md), paid by every plugin exec that calls one once.
 */

export function map<T, U>(xs: readonly T[], f: (x: T, i: number) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) out.push(f(xs[i] as T, i));
  return out;
}

export function filter<T, S extends T>(xs: readonly T[], keep: (x: T) => x is S): S[];
export function filter<T>(xs: readonly T[], keep: (x: T) => boolean): T[];
export function filter<T>(xs: readonly T[], keep: (x: T) => boolean): T[] {
  const out: T[] = [];
  for (const x of xs) if (keep(x)) out.push(x);
  return out;
}

export function some<T>(xs: readonly T[], test: (x: T) => boolean): boolean {
  for (const x of xs) if (test(x)) return true;
  return false;
}

export function find<T>(xs: readonly T[], test: (x: T) => boolean): T | undefined {
  for (const x of xs) if (test(x)) return x;
  return undefined;
}

export function every<T>(xs: readonly T[], test: (x: T, i: number) => boolean): boolean {
  for (let i = 0; i < xs.length; i++) if (!test(xs[i] as T, i)) return false;
  return true;
}

export function findIndex<T>(xs: readonly T[], test: (x: T) => boolean): number {
  for (let i = 0; i < xs.length; i++) if (test(xs[i] as T)) return i;
  return -1;
}
