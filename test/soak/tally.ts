/** Counters of one soak phase for one implementation, and the report table. */
export interface Tally {
  calls: number;
  failed: number;
  /** Failed calls after which the host state differed from the state before the call. */
  stateChangingFailures: number;
  /** Calls that printed no CNI JSON (a crash, a kill aside). */
  crashes: number;
  /** Objects left over (or removed) at the end compared with the baseline. */
  leaks: number;
  /** Addresses handed to two live attachments at once. */
  duplicates: number;
  /** Up to a few examples of what went wrong, for the log. */
  examples: string[];
}

export function tally(): Tally {
  return { calls: 0, failed: 0, stateChangingFailures: 0, crashes: 0, leaks: 0, duplicates: 0, examples: [] };
}

export function note(t: Tally, text: string): void {
  if (t.examples.length < 5) t.examples.push(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}

export function add(into: Tally, t: Tally): void {
  into.calls += t.calls;
  into.failed += t.failed;
  into.stateChangingFailures += t.stateChangingFailures;
  into.crashes += t.crashes;
  into.leaks += t.leaks;
  into.duplicates += t.duplicates;
  for (const e of t.examples) note(into, e);
}

export interface Row {
  phase: string;
  impl: string;
  t: Tally;
}

export function table(rows: Row[]): string {
  const head = "| phase | implementation | calls | failed | state-changing failed | crashes | leaks | duplicates |";
  const sep = "|---|---|---|---|---|---|---|---|";
  const body = rows.map(
    (r) => `| ${r.phase} | ${r.impl} | ${r.t.calls} | ${r.t.failed} | ${r.t.stateChangingFailures} | ${r.t.crashes} | ${r.t.leaks} | ${r.t.duplicates} |`,
  );
  return [head, sep, ...body].join("\n");
}
