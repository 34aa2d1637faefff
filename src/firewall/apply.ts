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
  type ToolRunner,
} from "./exec.ts";
import { parseIptablesSave, renderIptables } from "./iptables.ts";
import { netlinkTransport } from "./transport.ts";
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
import { parseNftList, renderNft, tablesToRead } from "./nftables.ts";

export interface ApplyOptions {
  /** A fake tool runner (unit tests): the whole firewall then goes through it, never netlink. */
  readonly run?: ToolRunner;
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
  const tools = toolsFor(family);
  const nl = await netlinkTransport(opts.run, [family]);
  if (nl) return nl.readIptablesNetlink(family, onlyChains);
  const r = await runChecked(opts.run ?? spawnTool, saveArgv(tools));
  return parseIptablesSave(r.stdout);
}

/** A rule the netlink read could not spell as iptables-save would: only iptables-save can name it. */
const UNSPELLABLE = / \?/;

async function applyOne(plan: IptablesPlan, opts: ApplyOptions): Promise<void> {
  const run = opts.run ?? spawnTool;
  const tools = toolsFor(plan.family);
  const nl = await netlinkTransport(opts.run, [plan.family]);
  if (nl) {
    if (plan.ops.every((op) => op.op === "remove-chain")) {
      // Deletions by handle, one batch: nothing exec'd.
      nl.removeIptablesChains(plan.family, plan.ops.map((op) => op.chain));
      return;
    }
    // One restore, planned from the netlink read instead of an iptables-save exec.
    const touched = plan.ops.map((op) => op.chain);
    const batch = renderIptables(plan, nl.readIptablesNetlink(plan.family, touched));
    if (!batch.split("\n").some((l) => l.startsWith("-D ") && UNSPELLABLE.test(l))) {
      if (batch !== "") await runChecked(run, restoreArgv(tools), batch);
      return;
    }
  }
  const state = parseIptablesSave((await runChecked(run, saveArgv(tools))).stdout);
  const batch = renderIptables(plan, state);
  if (batch !== "") await runChecked(run, restoreArgv(tools), batch);
}

/** Applies the plans in order under the lock; the first failure is thrown. */
export async function applyIptables(plans: readonly IptablesPlan[], opts: ApplyOptions = {}): Promise<void> {
  if (plans.length === 0) return;
  await locked(opts, async () => {
    for (const plan of plans) await applyOne(plan, opts);
  });
}

export interface FamilyOutcome {
  readonly family: Family;
  readonly error?: CniError;
}

/**
 * Deletions in every family as ONE nf_tables batch (a kill mid-call leaves both families as they
 * were, or both done), when every family's iptables is the nft flavour; undefined otherwise.
 */
async function removeAllAtOnce(plans: readonly IptablesPlan[], opts: ApplyOptions): Promise<FamilyOutcome[] | undefined> {
  if (!plans.every((p) => p.ops.every((op) => op.op === "remove-chain"))) return undefined;
  const nl = await netlinkTransport(opts.run, plans.map((p) => p.family));
  if (!nl) return undefined;
  try {
    nl.removeIptablesChainsAll(plans.map((p) => ({ family: p.family, chains: p.ops.map((op) => op.chain) })));
    return plans.map((p) => ({ family: p.family }));
  } catch (err) {
    const error = CniError.from(err);
    return plans.map((p) => ({ family: p.family, error }));
  }
}

/** Like applyIptables, but every plan is tried and each family's error is returned, not thrown. */
export async function applyIptablesEach(plans: readonly IptablesPlan[], opts: ApplyOptions = {}): Promise<FamilyOutcome[]> {
  if (plans.length === 0) return [];
  return locked(opts, async () => {
    const together = await removeAllAtOnce(plans, opts);
    if (together) return together;
    const out: FamilyOutcome[] = [];
    for (const plan of plans) {
      try {
        await applyOne(plan, opts);
        out.push({ family: plan.family });
      } catch (err) {
        out.push({ family: plan.family, error: CniError.from(err) });
      }
    }
    return out;
  });
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
  const nl = await netlinkTransport(opts.run);
  if (nl) return nl.readNftNetlink(refs);
  const nft = nftPath();
  for (const ref of refs) {
    const argv = nftListArgv(nft, ref.family, ref.table);
    const r = await run(argv);
    if (isNftNotFound(r)) continue;
    if (r.code !== 0) await runChecked(async () => r, argv);
    state.set(nftTableKey(ref), parseNftList(r.stdout));
  }
  return state;
}

/** Reads what the plan depends on and applies it as one nft transaction, under the lock. */
export async function applyNft(plan: NftPlan, opts: ApplyOptions = {}): Promise<void> {
  if (plan.ops.length === 0) return;
  await locked(opts, async () => {
    const nl = await netlinkTransport(opts.run);
    // One batch when every step has a netlink form; else one `nft -f -`, planned from a netlink read.
    if (nl?.applyNftNetlink(plan, tablesToRead(plan))) return;
    const state = await readNft(tablesToRead(plan), opts);
    const text = renderNft(plan, state);
    if (text !== "") await runChecked(opts.run ?? spawnTool, nftApplyArgv(nftPath()), text);
  });
}
