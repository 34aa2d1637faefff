/**
 * Firewall changes as plain data. Plans say what must be true afterwards; the renderers compare
 * them with the state read from the kernel and emit only the commands that are still needed, so
 * a batch never trips over an object that is (or is not) already there.
 */

export type Family = 4 | 6;

import type { Rule } from "./rule.ts";

/** One rule's match and target, as argv tokens in the order `iptables-save` prints them. */
export type RuleArgs = readonly string[];

/** A step of an iptables plan (rules as typed data, rule.ts); every plan works on table `nat`. */
export type IptablesOp =
  /** Declare the chain only when missing: declaring an existing chain would empty it. */
  | { readonly op: "ensure-chain"; readonly chain: string }
  /** Append unless an identical rule is already in the chain. */
  | { readonly op: "append"; readonly chain: string; readonly rule: Rule }
  /** Insert at position 1 unless an identical rule is already in the chain. */
  | { readonly op: "insert-first"; readonly chain: string; readonly rule: Rule }
  /** The chain ends up holding exactly these rules (created, or emptied and refilled, when needed). */
  | { readonly op: "sync-chain"; readonly chain: string; readonly rules: readonly Rule[] }
  /** The rules of `chain` that jump to `target` end up being exactly these, in this order. */
  | { readonly op: "sync-jumps"; readonly chain: string; readonly target: string; readonly rules: readonly Rule[] }
  /** Delete every rule that jumps to the chain, then flush and delete it; nothing when absent. */
  | { readonly op: "remove-chain"; readonly chain: string };

export interface IptablesPlan {
  readonly family: Family;
  readonly ops: readonly IptablesOp[];
}

/** What `iptables-save -t nat` reported: chain names and each chain's rules, in order. */
export interface IptablesState {
  readonly chains: ReadonlySet<string>;
  readonly rules: ReadonlyMap<string, readonly RuleArgs[]>;
}

export type NftFamily = "ip" | "ip6" | "inet" | "bridge";

export interface NftTableRef {
  readonly family: NftFamily;
  readonly table: string;
}

export interface NftBaseChain {
  readonly type: "nat" | "filter";
  readonly hook: "prerouting" | "postrouting" | "output" | "input" | "forward";
  readonly priority: number;
  readonly policy?: "accept";
}

/** Selects existing rules by their comment; how tscni finds rules it owns without keeping state. */
export type CommentMatch = { readonly equals: string } | { readonly prefix: string };

/** One rule of the nft layout: typed statements, and the comment nft keeps as the rule's userdata. */
export interface NftRuleSpec {
  readonly rule: Rule;
  readonly comment?: string;
}

/**
 * A step of an nft transaction. Plans are written with the ops below; the planner (nftables.ts)
 * resolves them against the ruleset it read into NftSteps, which the writers (netlink batch,
 * `nft -f -` text) send as they are.
 */
export type NftOp =
  | { readonly op: "add-table"; readonly ref: NftTableRef; readonly comment?: string }
  | {
      readonly op: "add-chain";
      readonly ref: NftTableRef;
      readonly chain: string;
      readonly base?: NftBaseChain;
      readonly comment?: string;
    }
  /** Only valid after an add-chain of the same chain in the plan (flushing a missing chain aborts). */
  | { readonly op: "flush-chain"; readonly ref: NftTableRef; readonly chain: string }
  | {
      readonly op: "add-rule";
      readonly ref: NftTableRef;
      readonly chain: string;
      readonly rule: Rule;
      readonly comment?: string;
      /** Skip when the chain already holds an equal rule (model equality) with the same comment. */
      readonly unique?: boolean;
    }
  /**
   * The chain's rules that are ours end up being exactly `rules`, in this order; rules that are
   * not ours stay where they are (reported on stderr). Ours: equal to one of `rules`, carrying
   * one of their comments, or jumping to `ownsJumpTo` (an entry rule with older conditions).
   * Only valid after an add-chain of the same chain in the plan.
   */
  | {
      readonly op: "sync-rules";
      readonly ref: NftTableRef;
      readonly chain: string;
      readonly rules: readonly NftRuleSpec[];
      readonly ownsJumpTo?: string;
      /** The plugins' rules for other attachments (by comment): left alone, and not named as another tool's. */
      readonly siblings?: CommentMatch;
    }
  /** Delete, by handle, the rules of these chains whose comment matches; nothing when absent. */
  | { readonly op: "delete-rules"; readonly ref: NftTableRef; readonly chains: readonly string[]; readonly match: CommentMatch }
  /**
   * Delete the chain when it exists, with the rules jumping to it. With `owner`, only rules with
   * that comment are ours: a chain still holding another rule, or jumped to by one, keeps it
   * (only our rules go, and stderr says so).
   */
  | { readonly op: "remove-chain"; readonly ref: NftTableRef; readonly chain: string; readonly owner?: string }
  /** Resolved from delete-rules or remove-chain: one listed rule, by its handle. */
  | { readonly op: "delete-rule"; readonly ref: NftTableRef; readonly chain: string; readonly handle: number }
  /** Resolved from remove-chain: the chain is known to exist and to be empty by then. */
  | { readonly op: "delete-chain"; readonly ref: NftTableRef; readonly chain: string }
  /** The table with its chains and rules, when it exists (a table tscni alone writes, on uninstall). */
  | { readonly op: "delete-table"; readonly ref: NftTableRef };

/** An op resolved against the current ruleset: handles known, rules already present skipped. */
export type NftStep = Exclude<NftOp, { readonly op: "delete-rules" | "remove-chain" | "sync-rules" }>;

export interface NftPlan {
  readonly ops: readonly NftOp[];
}

export interface NftRuleState {
  readonly chain: string;
  readonly handle: number;
  readonly comment: string | undefined;
  /** The statements as typed data; foreign when the decoder does not know a part of them. */
  readonly rule: Rule;
  /** Chains this rule jumps or goes to (read from its verdicts, even when it is foreign). */
  readonly targets: readonly string[];
}

/** A base chain as the kernel holds it (there every base chain has a policy). */
export interface NftBaseChainRead {
  readonly type: string;
  readonly hook: string;
  readonly priority: number;
  readonly policy: string;
}

/** How the kernel holds a table: its flags, and each chain's hook (null: a regular chain). */
export interface NftDeclared {
  readonly flags: number;
  readonly chains: ReadonlyMap<string, NftBaseChainRead | null>;
}

/** One nft table as read (netlink dump, or `nft -a list table`); absent tables have no entry. */
export interface NftTableState {
  readonly chains: ReadonlySet<string>;
  readonly rules: readonly NftRuleState[];
  /**
   * From a netlink read only (a text listing leaves it out): lets a plan leave out an `add table`
   * or `add chain` of what already exists exactly as declared (nft-declared.ts).
   */
  readonly declared?: NftDeclared;
}

export type NftState = ReadonlyMap<string, NftTableState>;

export function nftTableKey(ref: NftTableRef): string {
  return `${ref.family} ${ref.table}`;
}
