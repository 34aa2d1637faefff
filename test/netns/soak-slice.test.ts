/**
 * A bounded slice of `make soak` (test/soak) in `make test`: churn, kills, the fault list and a
 * few fuzz cases against tscni only, with the same invariant checker (about a minute; the phases stop at their share of 24 s, the six
 * faults always run). The full soak compares
 * with the v1.9.1 reference and runs for minutes.
 */
import { expect, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { clean, DEFAULTS, prepareHost, runSoak } from "../soak/soak.ts";
import { table } from "../soak/tally.ts";

requireIsolatedHost();

test("soak slice: tscni leaks nothing, hands out no address twice, changes nothing when it fails", async () => {
  await prepareHost();
  const lines: string[] = [];
  const rows = await runSoak({
    ...DEFAULTS,
    durationS: 24,
    ops: 12,
    workers: 4,
    fuzz: 8,
    killMax: 2,
    impls: ["tscni"],
    log: (l) => void lines.push(l),
  });
  if (!clean(rows)) console.log(`${table(rows)}\n${lines.join("\n")}`);
  const total = rows.find((r) => r.phase === "total")?.t;
  // Counted, not timed: every phase made calls, however far its share of the budget got it.
  expect(rows.filter((r) => r.phase !== "total").map((r) => `${r.phase} ${r.t.calls > 0 ? "ran" : "made no call"}`)).toEqual(["churn ran", "kills ran", "faults ran", "fuzz ran"]);
  expect({ leaks: total?.leaks, duplicates: total?.duplicates, stateChanging: total?.stateChangingFailures, crashes: total?.crashes }).toEqual({
    leaks: 0,
    duplicates: 0,
    stateChanging: 0,
    crashes: 0,
  });
}, 90_000);
