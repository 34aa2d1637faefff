/** The loop versions of map/filter/some/find/findIndex give what the builtins give. */
import { expect, test } from "bun:test";
import * as plain from "../../src/plain-array.ts";

const CASES: number[][] = [[], [1], [3, 1, 2], [2, 2, 5, 0, 7]];

test.each(CASES)("on %p: each helper equals its builtin", (...xs) => {
  const even = (x: number): boolean => x % 2 === 0;
  expect(plain.map(xs, (x, i) => `${i}:${x * 2}`)).toEqual(xs.map((x, i) => `${i}:${x * 2}`));
  expect(plain.filter(xs, even)).toEqual(xs.filter(even));
  expect(plain.some(xs, even)).toBe(xs.some(even));
  expect(plain.find(xs, (x) => x > 1)).toBe(xs.find((x) => x > 1));
  expect(plain.findIndex(xs, (x) => x > 1)).toBe(xs.findIndex((x) => x > 1));
});
