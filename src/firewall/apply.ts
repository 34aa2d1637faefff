/**
 * One firewall operation = read the current state, render the difference, write it in one exec
 * per family (iptables) or one transaction (nft), all under tscni's node-wide lock so two tscni
 * processes never interleave their read and write.
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import { withFileLock } from "../sys/index.ts";
import {
  firewallLockPath,
  isNftNotFound,
  nftApplyArgv,
  nftListArgv,
  resolveIptables,
  resolveNft,
  restoreArgv,
  runChecked,
  saveArgv,
  spawnTool,
} from "./exec.ts";
import { type NetlinkTransport, netlinkTransport, type TransportChoice } from "./transport.ts";
import {
  type Family,
  type IptablesPlan,
  type IptablesState,
  type NftPlan,
  type NftState,
  type NftTableRef,
  type NftTableState,
  nftTableKey,
} from "./model.ts";

/**
 * The restore-text half (iptables.ts: iptables-legacy nodes, user conditions) and the nft-text
 * half (nftables.ts: the nft layout), loaded by the paths that use them: an in-process iptables
 * write (a masquerading ADD on an iptables-nft node) loads neither (docs/performance.md).
 */
const restoreText = (): Promise<typeof import("./iptables.ts")> => import("./iptables.ts");
const nftText = (): Promise<typeof import("./nftables.ts")> => import("./nftables.ts");

/** `run` / `transport`: stand-ins for the tools or for netlink (unit tests), see transport.ts. */
export interface ApplyOptions extends TransportChoice {
  /** Defaults to firewallLockPath(). */
  readonly lockPath?: string;
  /** Long enough that 50 parallel ADDs queue up without timing out. */
  readonly lockTimeoutMs?: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

function locked<T>(opts: ApplyOptions, fn: () => Promise<T>): Promise<T> {
  return withFileLock(opts.lockPath ?? firewallLockPath(), { timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS }, fn);
}

function familyName(family: Family): string {
  return family === 4 ? "iptables" : "ip6tables";
}

function toolsFor(family: Family): NonNullable<ReturnType<typeof resolveIptables>> {
  const tools = resolveIptables(family);
  if (tools === null) {
    throw new CniError(ErrorCode.Internal, `failed to locate ${familyName(family)}: executable file not found in $PATH`);
  }
  return tools;
}

/**
 * `iptables-save -t nat` for one family, parsed (or the same, read over netlink). `onlyChains`:
 * the caller looks at these chains' rules only (the netlink read then spells no others).
 */
export async function readIptables(family: Family, opts: ApplyOptions = {}, onlyChains?: readonly string[]): Promise<IptablesState> {
  const nl = await netlinkTransport(opts, [family]);
  if (nl) return nl.readIptablesNetlink(family, onlyChains);
  const r = await runChecked(opts.run ?? spawnTool, saveArgv(toolsFor(family)));
  return (await restoreText()).parseIptablesSave(r.stdout);
}

/** A rule the netlink read could not spell as iptables-save would: only iptables-save can name it. */
const UNSPELLABLE = / \?/;

/**
 * What a write left in place because another tool's rules need it: said on stderr (the plugin's
 * diagnostics channel; stdout carries only the CNI result), once per call.
 */
function sayKept(kept: readonly string[]): void {
  for (const line of new Set(kept)) process.stderr.write(`tscni: kept foreign firewall rules: ${line}\n`);
}

/** One `iptables-restore --noflush` for the plan: the legacy path, and the one for user conditions. */
async function restoreOne(plan: IptablesPlan, opts: ApplyOptions, nl: NetlinkTransport | undefined, kept: string[]): Promise<void> {
  const run = opts.run ?? spawnTool;
  const tools = toolsFor(plan.family);
  const { parseIptablesSave, renderIptables } = await restoreText();
  if (nl) {
    // Planned from the netlink read instead of an iptables-save exec, unless a deletion would
    // have to name a rule the read could not spell.
    const notes: string[] = [];
    const batch = renderIptables(plan, nl.readIptablesNetlink(plan.family, plan.ops.map((op) => op.chain)), notes);
    if (!batch.split("\n").some((l) => l.startsWith("-D ") && UNSPELLABLE.test(l))) {
      if (batch !== "") await runChecked(run, restoreArgv(tools), batch);
      kept.push(...notes);
      return;
    }
  }
  const state = parseIptablesSave((await runChecked(run, saveArgv(tools))).stdout);
  const notes: string[] = [];
  const batch = renderIptables(plan, state, notes);
  if (batch !== "") await runChecked(run, restoreArgv(tools), batch);
  kept.push(...notes);
}

/**
 * Applies the plans in order under the lock; the first failure is thrown. On iptables-nft nodes
 * all of them go in one nf_tables batch, written as iptables-nft writes them; only plans carrying
 * rules that have no in-process form (user conditions) exec iptables-restore, once per family.
 */
export async function applyIptables(plans: readonly IptablesPlan[], opts: ApplyOptions = {}): Promise<void> {
  if (plans.length === 0) return;
  const kept: string[] = [];
  await locked(opts, async () => {
    const nl = await netlinkTransport(opts, plans.map((p) => p.family));
    if (nl?.applyIptablesNetlink(plans, kept)) return;
    for (const plan of plans) await restoreOne(plan, opts, nl, kept);
  });
  sayKept(kept);
}

/** A lookup that fails says nothing: the removal then goes on as without it, reporting per family. */
function chainsGone(nl: NetlinkTransport, plans: readonly IptablesPlan[]): boolean {
  try {
    return nl.removedChainsGone(plans);
  } catch {
    return false;
  }
}

export interface FamilyOutcome {
  readonly family: Family;
  readonly error?: CniError;
}

async function outcome(family: Family, fn: () => Promise<void>): Promise<FamilyOutcome> {
  try {
    await fn();
    return { family };
  } catch (err) {
    return { family, error: CniError.from(err) };
  }
}

/**
 * Like applyIptables, but every plan is tried and each family's error is returned, not thrown.
 * In-process, all families go in one batch (a kill mid-call leaves all as they were, or all
 * done); when that batch is refused, each family is retried alone so one family's failure does
 * not hold back the others. `skipWhenChainsGone` (plans that only remove chains): when none of
 * those chains exists, the call ends after that lookup, without taking the lock.
 */
export async function applyIptablesEach(plans: readonly IptablesPlan[], opts: ApplyOptions = {}, skipWhenChainsGone = false): Promise<FamilyOutcome[]> {
  if (plans.length === 0) return [];
  const kept: string[] = [];
  // Before the lock: the lookup is one read at one generation (readOnce) and changes nothing, so
  // "all gone" is true at that instant; a writer that adds the chains later is a later call.
  if (skipWhenChainsGone) {
    const nl = await netlinkTransport(opts, plans.map((p) => p.family));
    if (nl && chainsGone(nl, plans)) return plans.map((p) => ({ family: p.family }));
  }
  const out = await locked(opts, async () => {
    const nl = await netlinkTransport(opts, plans.map((p) => p.family));
    if (nl) {
      try {
        if (nl.applyIptablesNetlink(plans, kept)) return plans.map((p) => ({ family: p.family }));
      } catch {
        // Retried family by family below, each with its own error.
      }
    }
    const each: FamilyOutcome[] = [];
    for (const plan of plans) {
      each.push(
        await outcome(plan.family, async () => {
          if (nl?.applyIptablesNetlink([plan], kept)) return;
          await restoreOne(plan, opts, nl, kept);
        }),
      );
    }
    return each;
  });
  sayKept(kept);
  return out;
}

function nftPath(): string {
  const nft = resolveNft();
  if (nft === null) throw new CniError(ErrorCode.Internal, `failed to locate nft: executable file not found in $PATH`);
  return nft;
}

/** `nft -a list table` for each table; missing tables are simply absent from the result. */
export async function readNft(refs: readonly NftTableRef[], opts: ApplyOptions = {}): Promise<NftState> {
  const run = opts.run ?? spawnTool;
  const state = new Map<string, NftTableState>();
  if (refs.length === 0) return state;
  const nl = await netlinkTransport(opts);
  if (nl) return nl.readNftNetlink(refs);
  const nft = nftPath();
  for (const ref of refs) {
    const argv = nftListArgv(nft, ref.family, ref.table);
    const r = await run(argv);
    if (isNftNotFound(r)) continue;
    if (r.code !== 0) await runChecked(async () => r, argv);
    state.set(nftTableKey(ref), (await nftText()).parseNftList(r.stdout));
  }
  return state;
}

/** Reads what the plan depends on and applies it as one nft transaction, under the lock. */
export async function applyNft(plan: NftPlan, opts: ApplyOptions = {}): Promise<void> {
  if (plan.ops.length === 0) return;
  await locked(opts, async () => {
    const nl = await netlinkTransport(opts);
    const { renderNft, renderNftSteps, tablesToRead } = await nftText();
    // One batch when every step has a netlink form; else one `nft -f -` of the steps that read planned.
    const refs = tablesToRead(plan);
    const kept: string[] = [];
    const text = nl ? renderNftSteps((await nl.applyNftNetlink(plan, refs, kept)) ?? []) : renderNft(plan, await readNft(refs, opts), kept);
    if (text !== "") await runChecked(opts.run ?? spawnTool, nftApplyArgv(nftPath()), text);
    sayKept(kept);
  });
}
