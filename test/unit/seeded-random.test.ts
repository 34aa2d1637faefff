import { expect, test } from "bun:test";
import { seededRandom } from "../fixtures/seeded-random.ts";

test("the seeded generator does not cycle early and spreads small ranges", () => {
  const r = seededRandom(20261207);
  const seen = new Set<number>();
  for (let i = 0; i < 200_000; i++) seen.add(r.unit());
  expect(seen.size).toBeGreaterThan(190_000);
  const buckets = new Array<number>(128).fill(0);
  const s = seededRandom(7);
  for (let i = 0; i < 12_800; i++) {
    const k = s.below(128);
    buckets[k] = (buckets[k] ?? 0) + 1;
  }
  expect(buckets.every((b) => b > 40)).toBe(true);
});

test("the same seed gives the same sequence", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  for (let i = 0; i < 100; i++) expect(a.below(1000)).toBe(b.below(1000));
});
