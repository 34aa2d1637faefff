/**
 * `tscni gc`: runtime-independent cleanup after reboots and crashes. It frees only what it can
 * prove stale — attachments not in `--valid`, or (with `--from-netns-dir`) cached ones whose
 * netns is gone — and nothing of an attachment younger than the grace period, so an ADD running
 * right now keeps everything it made. One plan (gc-plan.ts), printed the same way in a dry run
 * and with `--apply`, which executes exactly that plan (gc-apply.ts).
 */
import { existsSync } from "node:fs";
import type { Attachment } from "../cni/index.ts";
import { type ApplyOptions, type FirewallSnapshot, readFirewall, snapshotProblems } from "../firewall/index.ts";
import { cachedAttachments, type CachedAttachment, type NetworkList, Runtime, scanConfDir } from "../runtime/index.ts";
import { applyGc } from "./gc-apply.ts";
import { describeLists, netnsAlive } from "./gc-ipam.ts";
import { printGc } from "./gc-output.ts";
import { planGc } from "./gc-plan.ts";
import type { PluginLookup } from "../container/index.ts";
import { binDirs, cacheDir as resolveCacheDir, confDir as resolveConfDir, type Env, parseAttachment } from "./options.ts";
import { type Progress, silentProgress } from "./progress.ts";

export type { GcAction } from "./gc-output.ts";

export interface GcOptions {
  confDir?: string;
  binDir?: string;
  cacheDir?: string;
  valid?: string[];
  fromNetnsDir?: string;
  graceSeconds: number;
  apply: boolean;
  json: boolean;
  env: Env;
  /** The registry's entries: what each network's plugins own (its host-local stores, its firewall objects). */
  registry: PluginLookup;
  out: (text: string) => void;
  err: (text: string) => void;
  /** A status line for long runs (a TTY's stderr); silent by default. */
  progress?: Progress;
  /** Injected by tests. */
  now?: () => number;
  /** Injected by tests: how the firewall is read and written. */
  firewall?: ApplyOptions & { read?: () => Promise<FirewallSnapshot> };
}

function validFor(o: GcOptions, mine: readonly CachedAttachment[]): Attachment[] {
  if (o.valid !== undefined) return o.valid.map(parseAttachment);
  return mine.filter((a) => netnsAlive(a, o.fromNetnsDir ?? "/run/netns")).map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
}

/** The networks a runtime would use: libcni picks the first file defining a name. */
function networks(confDir: string): NetworkList[] {
  if (!existsSync(confDir)) throw new Error(`conf dir ${confDir} does not exist: nothing can be judged stale without the networks`);
  const lists = scanConfDir(confDir).flatMap((s) => (s.list ? [s.list] : []));
  if (lists.length === 0) throw new Error(`no loadable network configuration in ${confDir}: nothing can be judged stale without the networks`);
  return lists.filter((l, i) => lists.findIndex((m) => m.name === l.name) === i);
}

export async function gcCommand(o: GcOptions): Promise<number> {
  if (o.valid === undefined && o.fromNetnsDir === undefined) {
    throw new Error("say what is still in use: --valid CID:IFNAME… (from the runtime) or --from-netns-dir /run/netns");
  }
  if (!Number.isFinite(o.graceSeconds) || o.graceSeconds < 0) throw new Error("--grace-period must be a number of seconds ≥ 0");
  const progress = o.progress ?? silentProgress;
  const cacheDir = resolveCacheDir(o.cacheDir, o.env);
  const lists = networks(resolveConfDir(o.confDir, o.env));
  try {
    // The firewall is read before the cache and the reservations: an ADD reserves its address
    // before it writes rules, so every object in this snapshot has a reservation (young, so
    // kept, if the ADD is still running) or a cache entry by the time those are read.
    progress.update("gc: reading the firewall");
    const snapshot = await (o.firewall?.read ?? (() => readFirewall(o.firewall)))();
    for (const p of snapshotProblems(snapshot)) o.err(`tscni gc: firewall not fully inspected: ${p}\n`);
    progress.update("gc: planning");
    const descriptions = await describeLists(lists, o.registry);
    const plan = planGc({
      lists,
      descriptions,
      cached: cachedAttachments(cacheDir),
      cacheDir,
      valid: (_list, mine) => validFor(o, mine),
      snapshot,
      graceSeconds: o.graceSeconds,
      now: (o.now ?? Date.now)(),
    });
    if (o.apply) {
      const runtime = new Runtime({ binDirs: binDirs(o.binDir, o.env), cacheDir, env: o.env, stderr: o.err });
      await applyGc(plan, runtime, progress, o.firewall);
    }
    progress.done();
    printGc({ ...o, err: o.err }, plan.actions);
    return plan.actions.some((a) => a.error !== undefined) ? 1 : 0;
  } finally {
    progress.done();
  }
}
