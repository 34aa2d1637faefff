/**
 * The nf_tables netlink backend: reads (iptables-nft `nat` tables and nft tables), deletions by
 * handle, and every plan step it can express, each call one batch tied to the generation it was
 * planned from. Loaded lazily by apply.ts, only on nodes whose firewall is nf_tables.
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import { GenerationMoved, whileBusy } from "../netlink/nft/busy.ts";
import { NftSession, type Ruleset, type TableRef } from "../netlink/nft/session.ts";
import { NetlinkError } from "../netlink/errors.ts";
import { Errno } from "../sys/index.ts";
import { filter } from "../plain-array.ts";
import type { Family, IptablesPlan, NftPlan, NftState, NftStep, NftTableRef } from "./model.ts";
import { iptablesTable, type NetlinkIptablesState, readIptablesOver } from "./netlink-state.ts";
import { iptablesChainNames, iptablesJumpsOnly, iptablesReadScope } from "./read-scope.ts";
import { xtRequests } from "./xt-write.ts";
import { hintable, hintedReads, hintPath, hintsHold, learnHints, readHints, writeHints } from "./rule-hints.ts";

let session: NftSession | null | undefined;

/** The process's nf_tables session, or null when the kernel (or this process) cannot speak it. */
export function nftSession(): NftSession | null {
  if (session !== undefined) return session;
  try {
    const s = NftSession.open();
    s.genId();
    session = s;
  } catch {
    session = null;
  }
  return session;
}

function must(): NftSession {
  const s = nftSession();
  if (s === null) throw new CniError(ErrorCode.Internal, "nf_tables is not available over netlink");
  return s;
}

/**
 * Whether nf_tables can be changed here (CAP_NET_ADMIN), checked without changing anything. A
 * probe the kernel does not answer is an error, not a "no": guessing would pick the wrong backend.
 */
export function nftWritable(): boolean {
  const s = nftSession();
  return s !== null && s.writable();
}

export function readIptablesNetlink(family: Family, onlyChains?: readonly string[]): NetlinkIptablesState {
  return readIptablesOver(must(), family, onlyChains);
}

/** The nft layout's half (netlink-nft.ts), loaded only by the calls that read or write nft tables. */
const nftHalf = (): Promise<typeof import("./netlink-nft.ts")> => import("./netlink-nft.ts");

export async function readNftNetlink(refs: readonly NftTableRef[]): Promise<NftState> {
  return (await nftHalf()).readNftOver(must(), refs);
}

/**
 * Whether none of the chains the plans remove exists, each looked up by name (no rule is read):
 * the kernel refuses a jump to a missing chain, so removing chains that are all gone has nothing
 * to do. False for a plan that does more than remove chains. `s`: an in-memory kernel in unit tests.
 */
export function removedChainsGone(plans: readonly IptablesPlan[], s: Pick<XtSession, "readOnce"> = must()): boolean {
  const refs: TableRef[] = [];
  for (const p of plans) {
    const names: string[] = [];
    for (const op of p.ops) {
      if (op.op !== "remove-chain") return false;
      names.push(op.chain);
    }
    refs.push({ ...iptablesTable(p.family, []), chainNames: names });
  }
  return whileBusy("nf_tables read", () => s.readOnce(refs)).chains.length === 0;
}

/** What the iptables writer needs of an nf_tables session (NftSession; an in-memory kernel in unit tests). */
export type XtSession = Pick<NftSession, "readOnce" | "commit">;

/**
 * Applies iptables plans (any families) as ONE batch, written the way iptables-nft writes them.
 * Returns false (having changed nothing) when a rule has no in-process form (user conditions):
 * the caller then runs iptables-restore. `kept`: what the batch left in place for another tool
 * (from the attempt that went in).
 */
export function applyIptablesNetlink(plans: readonly IptablesPlan[], kept: string[] = []): boolean {
  return applyIptablesOver(must(), plans, kept, hintPath());
}

/** `hintFile`: where rule handles are remembered between calls (rule-hints.ts); none: no hints. */
export function applyIptablesOver(s: XtSession, plans: readonly IptablesPlan[], kept: string[] = [], hintFile?: string): boolean {
  const families: Family[] = [];
  for (const p of plans) if (!families.includes(p.family)) families.push(p.family);
  let expressible = true;
  let scoped = true;
  const wanted = hintFile === undefined ? [] : hintable(plans);
  const hints = hintFile !== undefined && wanted.length > 0 ? readHints(hintFile) : new Map<string, bigint>();
  // Scoped: only the chains the plans name are listed and read; else the whole table. Hinted: a
  // chain holding just a wanted rule is not dumped, that rule is fetched by its remembered handle.
  const read = (hinted: boolean): Ruleset => {
    const refs: TableRef[] = [];
    for (const f of families) {
      if (!scoped) {
        refs.push(iptablesTable(f));
        continue;
      }
      const h = hinted ? hintedReads(wanted, hints, f) : { chains: new Set<string>(), handles: [] };
      const scope = iptablesReadScope(plans, f);
      const ref = iptablesTable(f, (existing) => filter(scope(existing), (c) => !h.chains.has(c)));
      refs.push({ ...ref, jumpsOnly: iptablesJumpsOnly(plans, f), chainNames: iptablesChainNames(plans, f), ruleHandles: h.handles });
    }
    return s.readOnce(refs);
  };
  whileBusy("nf_tables batch", () => {
    let rs = read(true);
    if (!hintsHold(wanted, hints, rs)) rs = read(false);
    if (hintFile !== undefined && scoped && learnHints(wanted, hints, rs)) writeHints(hintFile, hints);
    const notes: string[] = [];
    const reqs = xtRequests(plans, rs, notes);
    expressible = reqs !== undefined;
    if (reqs === undefined) return;
    if (scoped && notes.length > 0) {
      // Something stays for another tool: its note must name every foreign rule that keeps it,
      // and the scoped read saw only the entry chain the layouts jump from.
      scoped = false;
      throw new GenerationMoved("rules kept for another tool: read every chain to name them all");
    }
    try {
      if (s.commit(reqs, rs.genId)) {
        kept.push(...notes);
        return;
      }
    } catch (err) {
      if (!(scoped && err instanceof NetlinkError && err.errno === Errno.EBUSY)) throw err;
      // A chain to remove is still jumped to from a chain the scoped read left out: read them all.
      scoped = false;
      throw new GenerationMoved("a chain to remove is still jumped to from outside the chains read (EBUSY)");
    }
    throw new GenerationMoved(`generation ${rs.genId} passed before the batch went in (ERESTART)`);
  });
  return expressible;
}

/**
 * Applies an nft plan as one netlink batch and returns undefined; or, when a step cannot be
 * expressed here, changes nothing and returns the steps it planned, for `nft -f -` (netlink-nft.ts).
 */
export async function applyNftNetlink(plan: NftPlan, refs: readonly NftTableRef[], kept: string[] = []): Promise<readonly NftStep[] | undefined> {
  return (await nftHalf()).applyNftOver(must(), plan, refs, kept);
}
