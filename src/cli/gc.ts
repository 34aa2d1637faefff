/**
 * `tscni gc`: runtime-independent cleanup after reboots and crashes. It frees only what it can
 * prove stale — attachments not in `--valid`, or (with `--from-netns-dir`) not in the runtime's
 * result cache with a live netns — and never a reservation younger than the grace period, so an
 * ADD running right now keeps its address. Dry run unless `--apply`.
 *
 * Stale cached attachments are torn down with a DEL through their chain (that removes firewall
 * rules too); host-local reservations without any owner are then unlinked under the host-local
 * lock; last, masquerade and portmap objects no DEL will ever come for (no cache entry) go.
 */
import { existsSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Attachment } from "../cni/index.ts";
import { type ApplyOptions, type FirewallSnapshot, readFirewall } from "../firewall/index.ts";
import { LOCK_NAME, LOCK_TIMEOUT_MS, staleReservations } from "../ipam/index.ts";
import { cachedAttachments, type CachedAttachment, type NetworkList, Runtime, scanConfDir } from "../runtime/index.ts";
import { lockFile } from "../sys/index.ts";
import { applyFirewallGc, type Keep, type NetworkKeep, planFirewallGc } from "./firewall-gc.ts";
import { hostLocalDirs, netnsAlive, readReservations, usesPlugin } from "./gc-ipam.ts";
import { type GcAction, printGc } from "./gc-output.ts";
import { binDirs, cacheDir as resolveCacheDir, confDir as resolveConfDir, type Env, parseAttachment } from "./options.ts";
import { type Progress, silentProgress } from "./progress.ts";

export { hostLocalDirs } from "./gc-ipam.ts";
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
  out: (text: string) => void;
  err: (text: string) => void;
  /** A status line for long runs (a TTY's stderr); silent by default. */
  progress?: Progress;
  /** Injected by tests. */
  now?: () => number;
  /** Injected by tests: how the firewall is read and written. */
  firewall?: ApplyOptions & { read?: () => Promise<FirewallSnapshot> };
}

interface NetworkRun {
  list: NetworkList;
  valid: Attachment[];
  /** Whose firewall objects must stay: valid, still cached, or owning a reservation that stays. */
  keep: Keep[];
}

function validFor(o: GcOptions, mine: readonly CachedAttachment[]): Attachment[] {
  if (o.valid !== undefined) return o.valid.map(parseAttachment);
  return mine.filter((a) => netnsAlive(a, o.fromNetnsDir ?? "/run/netns")).map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
}

async function delStale(o: GcOptions, runtime: Runtime, run: NetworkRun, mine: readonly CachedAttachment[], actions: GcAction[]): Promise<void> {
  const isValid = (cid: string, ifname: string): boolean =>
    run.valid.some((v) => v.containerID === cid && (v.ifname === "" || v.ifname === ifname));
  for (const a of mine) {
    if (isValid(a.containerId, a.ifname)) continue;
    const act: GcAction = { network: run.list.name, kind: "del-attachment", containerId: a.containerId, ifname: a.ifname, done: false };
    if (o.apply) {
      try {
        await runtime.del(run.list, a);
        act.done = true;
      } catch (e) {
        act.error = (e as Error).message;
      }
    }
    // Until its DEL has succeeded, the cache entry owns its rules: DEL (now or later) removes them.
    if (!act.done) run.keep.push({ containerId: a.containerId, ifname: a.ifname });
    actions.push(act);
  }
}

async function releaseIps(o: GcOptions, run: NetworkRun, actions: GcAction[], progress: Progress): Promise<void> {
  const now = o.now ?? Date.now;
  for (const dir of hostLocalDirs(run.list)) {
    // No dir, nothing reserved; and locking would create it.
    if (!existsSync(dir)) continue;
    const lock = await lockFile(join(dir, LOCK_NAME), { timeoutMs: LOCK_TIMEOUT_MS, dirMode: 0o755, fileMode: 0o750 });
    try {
      const all = readReservations(dir);
      const exact = run.valid.filter((v) => v.ifname !== "");
      const byId = new Set(run.valid.filter((v) => v.ifname === "").map((v) => v.containerID));
      const stale = new Set(staleReservations(all.map((x) => x.r), exact).filter((r) => !byId.has(r.containerId)));
      let seen = 0;
      for (const x of all) {
        progress.update(`gc ${run.list.name}: reservation ${++seen}/${all.length}`);
        if (!stale.has(x.r)) continue;
        const young = now() - x.mtimeMs < o.graceSeconds * 1000;
        const { containerId, ifname, ip } = x.r;
        const act: GcAction = { network: run.list.name, kind: young ? "keep-young" : "release-ip", containerId, ifname, ip, done: false };
        if (!young && o.apply) {
          try {
            unlinkSync(x.path);
            act.done = true;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "ENOENT") act.done = true;
            else act.error = (e as Error).message;
          }
        }
        // A reservation that stays (an ADD in flight, a failed unlink) keeps its firewall rules too.
        if (young || (o.apply && !act.done)) run.keep.push({ containerId, ifname: ifname ?? "" });
        actions.push(act);
      }
    } finally {
      lock.release();
    }
  }
}

async function sweepFirewall(
  o: GcOptions,
  snap: FirewallSnapshot,
  runs: readonly NetworkRun[],
  cached: readonly CachedAttachment[],
  actions: GcAction[],
  progress: Progress,
): Promise<void> {
  for (const p of snap.problems) o.err(`tscni gc: firewall not fully inspected: ${p}\n`);
  const networks: NetworkKeep[] = runs.map((r) => ({ network: r.list.name, keep: r.keep }));
  // nft portmap rules name only a container ID, so every network's (and every cache entry's) IDs keep them.
  const portmapKeep = runs.some((r) => usesPlugin(r.list, "portmap"))
    ? new Set([...runs.flatMap((r) => r.keep.map((k) => k.containerId)), ...cached.map((a) => a.containerId)])
    : undefined;
  const plan = planFirewallGc(snap, networks, portmapKeep);
  let failed = new Map<(typeof plan.items)[number], string>();
  if (o.apply && plan.items.length > 0) {
    progress.update(`gc: removing ${plan.items.length} firewall objects`);
    failed = await applyFirewallGc(plan, o.firewall);
  }
  for (const i of plan.items) {
    const error = failed.get(i);
    actions.push({
      network: i.network,
      kind: "remove-firewall",
      containerId: i.containerId,
      firewall: { backend: i.entry.backend, kind: i.entry.kind, where: i.entry.where, name: i.entry.key },
      done: o.apply && error === undefined,
      ...(error !== undefined ? { error } : {}),
    });
  }
}

export async function gcCommand(o: GcOptions): Promise<number> {
  if (o.valid === undefined && o.fromNetnsDir === undefined) {
    throw new Error("say what is still in use: --valid CID:IFNAME… (from the runtime) or --from-netns-dir /run/netns");
  }
  if (!Number.isFinite(o.graceSeconds) || o.graceSeconds < 0) throw new Error("--grace-period must be a number of seconds ≥ 0");
  const progress = o.progress ?? silentProgress;
  const cacheDir = resolveCacheDir(o.cacheDir, o.env);
  const runtime = new Runtime({ binDirs: binDirs(o.binDir, o.env), cacheDir, env: o.env, stderr: o.err });
  const lists = scanConfDir(resolveConfDir(o.confDir, o.env)).flatMap((s) => (s.list ? [s.list] : []));
  // libcni picks the first file defining a name; later ones are not networks of their own.
  const unique = lists.filter((l, i) => lists.findIndex((m) => m.name === l.name) === i);
  const actions: GcAction[] = [];
  const runs: NetworkRun[] = [];
  try {
    // The firewall is read before the cache and the reservations: an ADD reserves its address
    // before it writes rules, so every object in this snapshot has a reservation (young, so
    // kept, if the ADD is still running) or a cache entry by the time those are read.
    progress.update("gc: reading the firewall");
    const snap = unique.length > 0 ? await (o.firewall?.read ?? (() => readFirewall(o.firewall)))() : undefined;
    const cached = cachedAttachments(cacheDir);
    for (const [i, list] of unique.entries()) {
      progress.update(`gc ${list.name} (${i + 1}/${unique.length})`);
      const mine = cached.filter((a) => a.network === list.name);
      const valid = validFor(o, mine);
      const run: NetworkRun = { list, valid, keep: valid.map((v) => ({ containerId: v.containerID, ifname: v.ifname })) };
      runs.push(run);
      await delStale(o, runtime, run, mine, actions);
      await releaseIps(o, run, actions, progress);
    }
    if (snap !== undefined) await sweepFirewall(o, snap, runs, cached, actions, progress);
  } finally {
    progress.done();
  }
  printGc(o, actions);
  return actions.some((a) => a.error !== undefined) ? 1 : 0;
}
