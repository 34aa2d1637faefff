/**
 * Where a shared jump rule sits, remembered between calls. portmap's `-I POSTROUTING 1 … -j
 * CNI-HOSTPORT-MASQ` must be added only when missing, and POSTROUTING holds one masquerade jump per
 * pod, so checking for it meant dumping a chain that grows with every pod (150 KB at 250 pods).
 * The rule's handle, once seen, lets the next call fetch that one rule instead. The hint is only
 * ever a shortcut: the fetched rule must be the very rule the plan wants, else the call reads the
 * whole chain as before (and remembers the new handle). Kept under tscni's firewall lock, next to
 * it in /run: a reboot or a stale file only costs one full read.
 */
import {
  childPath,
  closeFile,
  dirnamePath,
  O_CREAT,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  openPath,
  readText,
  renamePath,
  unlinkPath,
  writeText,
} from "../sys/index.ts";
import { every, filter, find, some } from "../plain-array.ts";
import { readVerdict } from "../netlink/nft/expr.ts";
import type { NftRule } from "../netlink/nft/messages.ts";
import type { Ruleset, TableRef } from "../netlink/nft/session.ts";
import { firewallLockPath } from "./exec.ts";
import type { Family, IptablesPlan } from "./model.ts";
import { iptablesTable } from "./netlink-state.ts";
import { type Rule, ruleJumpTarget, sameRule } from "./rule.ts";
import { decodeXtRule } from "./xt-decode.ts";

/** An `insert-first` op alone on its chain among the plans of its family. */
interface Wanted {
  readonly family: Family;
  readonly chain: string;
  readonly rule: Rule;
  readonly key: string;
}

export type HintFile = Map<string, bigint>;

const FILE_NAME = "nat-jump-handles";

export function hintPath(): string {
  return childPath(dirnamePath(firewallLockPath()), FILE_NAME);
}

/**
 * The ops a hint may stand in for: a rule to insert unless present, the only op of the plans on
 * its chain (another op there would need the chain's other rules) and jumping somewhere (the key).
 */
export function hintable(plans: readonly IptablesPlan[]): Wanted[] {
  const out: Wanted[] = [];
  const families = new Set<Family>();
  for (const p of plans) families.add(p.family);
  for (const family of families) {
    const ops: IptablesPlan["ops"][number][] = [];
    for (const p of plans) if (p.family === family) ops.push(...p.ops);
    for (const op of ops) {
      if (op.op !== "insert-first") continue;
      const target = ruleJumpTarget(op.rule);
      if (target === undefined || filter(ops, (o) => o.chain === op.chain).length !== 1) continue;
      out.push({ family, chain: op.chain, rule: op.rule, key: `${family} ${op.chain} ${target}` });
    }
  }
  return out;
}

export function readHints(path: string): HintFile {
  const out: HintFile = new Map();
  let text: string;
  try {
    const fd = openPath(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      text = readText(fd, path);
    } finally {
      closeFile(fd);
    }
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    const m = /^([46]) (\S+) (\S+) ([0-9]{1,20})$/.exec(line);
    if (m !== null) out.set(`${m[1]} ${m[2]} ${m[3]}`, BigInt(m[4] ?? "0"));
  }
  return out;
}

/** Best effort: a hint that cannot be written only costs the next call a full read. */
export function writeHints(path: string, hints: HintFile): void {
  const scratch = `${path}.${process.pid}`;
  try {
    const fd = openPath(scratch, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600);
    try {
      let text = "";
      for (const [k, h] of hints) text += `${k} ${h}\n`;
      writeText(fd, text, scratch);
    } finally {
      closeFile(fd);
    }
    if (renamePath(scratch, path).ret < 0) unlinkPath(scratch);
  } catch {
    // ignored (read-only /run, …)
  }
}

/** The rules to fetch by handle for `family`, and the chains that then need no dump. */
export function hintedReads(wanted: readonly Wanted[], hints: HintFile, family: Family): { chains: Set<string>; handles: NonNullable<TableRef["ruleHandles"]> } {
  const chains = new Set<string>();
  const handles: { chain: string; handle: bigint }[] = [];
  for (const w of wanted) {
    const handle = hints.get(w.key);
    if (w.family !== family || handle === undefined) continue;
    chains.add(w.chain);
    handles.push({ chain: w.chain, handle });
  }
  return { chains, handles };
}

function matches(w: Wanted, r: NftRule): boolean {
  if (r.chain !== w.chain || r.family !== iptablesTable(w.family).family) return false;
  return readVerdict(r.lastExpr ?? r.exprs[r.exprs.length - 1])?.chain === ruleJumpTarget(w.rule) && sameRule(decodeXtRule(r.family, r.exprs), w.rule);
}

/** Whether every hinted rule was fetched and is the rule its op wants (then the chain need not be read). */
export function hintsHold(wanted: readonly Wanted[], hints: HintFile, rs: Ruleset): boolean {
  return every(wanted, (w) => {
    const handle = hints.get(w.key);
    return handle === undefined || some(rs.rules, (r) => r.handle === handle && matches(w, r));
  });
}

/** After a read of the whole chain: the handles of the wanted rules found there; true when any changed. */
export function learnHints(wanted: readonly Wanted[], hints: HintFile, rs: Ruleset): boolean {
  let changed = false;
  for (const w of wanted) {
    const found = find(rs.rules, (r) => matches(w, r));
    if (found === undefined || hints.get(w.key) === found.handle) continue;
    hints.set(w.key, found.handle);
    changed = true;
  }
  return changed;
}
