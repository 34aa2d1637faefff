/**
 * What each iptables plan step means against a nat table as read, written once for both writers
 * (restore text, iptables.ts; nf_tables messages, xt-write.ts): each gives a table it changes as
 * it goes, this decides which rules and chains to add, delete, flush or keep. Only rules the
 * plugins own (iptables-owned.ts) are ever deleted or replaced; a foreign rule in one of our
 * chains keeps that chain, and the jumps reaching it, and the step says so in `kept`.
 */
import { ownedInChain, ownedJump } from "./iptables-owned.ts";
import { every, filter, some } from "../plain-array.ts";
import type { Family, IptablesOp } from "./model.ts";
import { type Rule, ruleArgs } from "./rule.ts";

/** One family's nat table as a writer sees it while it renders a plan; `R` is its handle on a rule read or added. */
export interface TableEdit<R> {
  readonly family: Family;
  /** Whether iptables-save would list the chain (the built-ins always). */
  listed(chain: string): boolean;
  /** Chains whose rules were read (a scoped read leaves others out; the kernel's EBUSY then sends the caller back to read them). */
  chainsRead(): Iterable<string>;
  rulesOf(chain: string): readonly R[];
  model(rule: R): Rule;
  target(rule: R): string | undefined;
  /** Whether `rule` is the planned `want`. */
  same(rule: R, want: Rule): boolean;
  /** Whether the chain already holds `want`. */
  has(chain: string, want: Rule): boolean;
  create(chain: string): void;
  add(chain: string, want: Rule, first: boolean): void;
  delete(chain: string, rule: R): void;
  flush(chain: string): void;
  /** Deletes a chain that is empty and no longer jumped to. */
  drop(chain: string): void;
}

function sameRules<R>(t: TableEdit<R>, held: readonly R[], want: readonly Rule[]): boolean {
  return held.length === want.length && every(held, (r, i) => {
    const w = want[i];
    return w !== undefined && t.same(r, w);
  });
}

const familyName = (f: Family): string => (f === 4 ? "ipv4" : "ipv6");

function describe<R>(t: TableEdit<R>, rule: R): string {
  return ruleArgs(t.family, t.model(rule))
    .map((a) => (/[\s"\\]/.test(a) ? JSON.stringify(a) : a))
    .join(" ");
}

function keptLine<R>(t: TableEdit<R>, chain: string, what: string, rules: readonly (readonly [string, R])[]): string {
  const list = rules.map(([from, r]) => `-A ${from} ${describe(t, r)}`).join("; ");
  return `${familyName(t.family)} nat chain ${chain}: ${what}, left in place: ${list}`;
}

/** Every rule read that jumps or goes to `chain`, with the chain it sits in. */
function jumpsTo<R>(t: TableEdit<R>, chain: string): [string, R][] {
  const out: [string, R][] = [];
  for (const from of t.chainsRead()) {
    if (from === chain) continue;
    for (const r of t.rulesOf(from)) if (t.target(r) === chain) out.push([from, r]);
  }
  return out;
}

function syncChain<R>(t: TableEdit<R>, chain: string, want: readonly Rule[], kept: string[]): void {
  if (!t.listed(chain)) {
    t.create(chain);
    for (const r of want) t.add(chain, r, false);
    return;
  }
  const held = [...t.rulesOf(chain)];
  const ours = filter(held, (r) => ownedInChain(chain, t.model(r)));
  if (sameRules(t, ours, want)) return;
  if (ours.length === held.length) t.flush(chain);
  else {
    for (const r of ours) t.delete(chain, r);
    kept.push(keptLine(t, chain, "rules the plugins did not write", filter(held, (r) => !ours.includes(r)).map((r) => [chain, r] as const)));
  }
  for (const r of want) t.add(chain, r, false);
}

function syncJumps<R>(t: TableEdit<R>, chain: string, target: string, want: readonly Rule[], kept: string[]): void {
  const jumps = filter(t.rulesOf(chain), (r) => t.target(r) === target);
  const ours = filter(jumps, (r) => ownedJump(chain, target, t.model(r)));
  if (sameRules(t, ours, want)) return;
  for (const r of ours) t.delete(chain, r);
  for (const r of want) t.add(chain, r, false);
  if (ours.length < jumps.length) kept.push(keptLine(t, target, "jumped to by rules the plugins did not write", filter(jumps, (r) => !ours.includes(r)).map((r) => [chain, r] as const)));
}

/**
 * The chain goes with the plugins' jumps to it, unless something foreign needs it: then only the
 * plugins' rules inside go, and the plugins' jumps stay too when foreign rules inside would
 * otherwise never be reached.
 */
function removeChain<R>(t: TableEdit<R>, chain: string, kept: string[]): void {
  if (!t.listed(chain)) return;
  const inside = [...t.rulesOf(chain)];
  const foreignInside = filter(inside, (r) => !ownedInChain(chain, t.model(r)));
  const jumps = jumpsTo(t, chain);
  const foreignJumps = filter(jumps, ([from, r]) => !ownedJump(from, chain, t.model(r)));
  if (foreignInside.length === 0 && foreignJumps.length === 0) {
    for (const [from, r] of jumps) t.delete(from, r);
    t.flush(chain);
    t.drop(chain);
    return;
  }
  for (const r of inside) if (!foreignInside.includes(r)) t.delete(chain, r);
  if (foreignInside.length > 0) {
    kept.push(keptLine(t, chain, "holds rules the plugins did not write (the chain and its jumps stay for them)", foreignInside.map((r) => [chain, r] as const)));
  } else {
    for (const [from, r] of jumps) if (!some(foreignJumps, ([, x]) => x === r)) t.delete(from, r);
    kept.push(keptLine(t, chain, "jumped to by rules the plugins did not write (the emptied chain stays for them)", foreignJumps));
  }
}

/** Renders one step onto the table; what was left in place for someone else is added to `kept`. */
export function applyOp<R>(t: TableEdit<R>, op: IptablesOp, kept: string[]): void {
  switch (op.op) {
    case "ensure-chain":
      if (!t.listed(op.chain)) t.create(op.chain);
      return;
    case "append":
    case "insert-first":
      if (!t.has(op.chain, op.rule)) t.add(op.chain, op.rule, op.op === "insert-first");
      return;
    case "sync-chain":
      syncChain(t, op.chain, op.rules, kept);
      return;
    case "sync-jumps":
      syncJumps(t, op.chain, op.target, op.rules, kept);
      return;
    case "remove-chain":
      removeChain(t, op.chain, kept);
      return;
  }
}
