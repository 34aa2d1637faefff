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

/** `iptables-save -t nat` for one family, parsed. */
export async function readIptables(family: Family, opts: ApplyOptions = {}): Promise<IptablesState> {
  const tools = toolsFor(family);
  const r = await runChecked(opts.run ?? spawnTool, saveArgv(tools));
  return parseIptablesSave(r.stdout);
}

async function applyOne(plan: IptablesPlan, opts: ApplyOptions): Promise<void> {
  const run = opts.run ?? spawnTool;
  const tools = toolsFor(plan.family);
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

/** Like applyIptables, but every plan is tried and each family's error is returned, not thrown. */
export async function applyIptablesEach(plans: readonly IptablesPlan[], opts: ApplyOptions = {}): Promise<FamilyOutcome[]> {
  if (plans.length === 0) return [];
  return locked(opts, async () => {
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
    const state = await readNft(tablesToRead(plan), opts);
    const text = renderNft(plan, state);
    if (text !== "") await runChecked(opts.run ?? spawnTool, nftApplyArgv(nftPath()), text);
  });
}
