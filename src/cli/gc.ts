/**
 * `tscni gc`: runtime-independent cleanup after reboots and crashes. It frees only what it can
 * prove stale — attachments not in `--valid`, or (with `--from-netns-dir`) not in the runtime's
 * result cache with a live netns — and never a reservation younger than the grace period, so an
 * ADD running right now keeps its address. Dry run unless `--apply`.
 *
 * Stale cached attachments are torn down with a DEL through their chain (that removes firewall
 * rules too); host-local reservations without any owner are then unlinked under the host-local
 * lock.
 */
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { type Attachment, goField } from "../cni/index.ts";
import {
  DEFAULT_DATA_DIR,
  isBookkeeping,
  LOCK_NAME,
  LOCK_TIMEOUT_MS,
  networkDir,
  parseReservation,
  type Reservation,
  staleReservations,
} from "../ipam/index.ts";
import { cachedAttachments, type CachedAttachment, type NetworkList, Runtime, scanConfDir } from "../runtime/index.ts";
import { lockFile } from "../sys/index.ts";
import { binDirs, cacheDir as resolveCacheDir, confDir as resolveConfDir, type Env, parseAttachment } from "./options.ts";

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
  /** Injected by tests. */
  now?: () => number;
}

export interface GcAction {
  network: string;
  kind: "del-attachment" | "release-ip" | "keep-young";
  containerId: string;
  ifname?: string;
  ip?: string;
  done: boolean;
  error?: string;
}

/** Where a network's host-local reservations live, if its chain uses host-local. */
export function hostLocalDirs(list: NetworkList): string[] {
  const dirs = new Set<string>();
  for (const p of list.plugins) {
    const ipam = goField(p.raw, "ipam");
    const isHostLocal = p.type === "host-local";
    const ipamObj = typeof ipam === "object" && ipam !== null ? (ipam as Record<string, unknown>) : undefined;
    const section = isHostLocal ? (ipamObj ?? p.raw) : ipamObj;
    if (section === undefined) continue;
    if (!isHostLocal && goField(section, "type") !== "host-local") continue;
    const dataDir = goField(section, "dataDir");
    dirs.add(networkDir(typeof dataDir === "string" && dataDir !== "" ? dataDir : DEFAULT_DATA_DIR, list.name));
  }
  return [...dirs];
}

/** A cached attachment's netns still exists (inside `netnsDir` when it points there). */
function netnsAlive(a: CachedAttachment, netnsDir: string): boolean {
  if (a.netns === "") return false;
  const p = resolve(a.netns);
  const base = resolve(netnsDir);
  // Under the runtime's netns dir the name must still be listed there; elsewhere it must exist.
  if (p.startsWith(base + sep)) return readdirSafe(base).includes(p.slice(base.length + 1));
  return existsSync(p);
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readReservations(dir: string): { r: Reservation; mtimeMs: number; path: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { r: Reservation; mtimeMs: number; path: string }[] = [];
  for (const name of names.sort()) {
    if (isBookkeeping(name)) continue;
    const path = join(dir, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      out.push({ r: parseReservation(name, readFileSync(path, "utf8")), mtimeMs: st.mtimeMs, path });
    } catch {
      // vanished meanwhile: a DEL freed it
    }
  }
  return out;
}

export async function gcCommand(o: GcOptions): Promise<number> {
  if (o.valid === undefined && o.fromNetnsDir === undefined) {
    throw new Error("say what is still in use: --valid CID:IFNAME… (from the runtime) or --from-netns-dir /run/netns");
  }
  if (!Number.isFinite(o.graceSeconds) || o.graceSeconds < 0) throw new Error("--grace-period must be a number of seconds ≥ 0");
  const now = o.now ?? Date.now;
  const cacheDir = resolveCacheDir(o.cacheDir, o.env);
  const runtime = new Runtime({ binDirs: binDirs(o.binDir, o.env), cacheDir, env: o.env, stderr: o.err });
  const cached = cachedAttachments(cacheDir);
  const actions: GcAction[] = [];
  const seen = new Set<string>();
  const lists = scanConfDir(resolveConfDir(o.confDir, o.env)).flatMap((s) => (s.list ? [s.list] : []));
  const verb = o.apply ? "" : "would ";

  for (const list of lists) {
    if (seen.has(list.name)) continue;
    seen.add(list.name);
    const mine = cached.filter((a) => a.network === list.name);
    const valid: Attachment[] =
      o.valid !== undefined
        ? o.valid.map(parseAttachment)
        : mine.filter((a) => netnsAlive(a, o.fromNetnsDir ?? "/run/netns")).map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
    const isValid = (cid: string, ifname: string | undefined): boolean =>
      valid.some((v) => v.containerID === cid && (v.ifname === "" || ifname === undefined || v.ifname === ifname));

    for (const a of mine) {
      if (isValid(a.containerId, a.ifname)) continue;
      const act: GcAction = { network: list.name, kind: "del-attachment", containerId: a.containerId, ifname: a.ifname, done: false };
      if (o.apply) {
        try {
          await runtime.del(list, a);
          act.done = true;
        } catch (e) {
          act.error = (e as Error).message;
        }
      }
      actions.push(act);
    }

    for (const dir of hostLocalDirs(list)) {
      if (!existsSync(dir)) continue;
      const lock = await lockFile(join(dir, LOCK_NAME), { timeoutMs: LOCK_TIMEOUT_MS, dirMode: 0o755, fileMode: 0o750 });
      try {
        const all = readReservations(dir);
        const exact = valid.filter((v) => v.ifname !== "");
        const byId = new Set(valid.filter((v) => v.ifname === "").map((v) => v.containerID));
        const stale = new Set(staleReservations(all.map((x) => x.r), exact).filter((r) => !byId.has(r.containerId)));
        for (const x of all) {
          if (!stale.has(x.r)) continue;
          const young = now() - x.mtimeMs < o.graceSeconds * 1000;
          const act: GcAction = {
            network: list.name,
            kind: young ? "keep-young" : "release-ip",
            containerId: x.r.containerId,
            ifname: x.r.ifname,
            ip: x.r.ip,
            done: false,
          };
          if (!young && o.apply) {
            try {
              unlinkSync(x.path);
              act.done = true;
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code === "ENOENT") act.done = true;
              else act.error = (e as Error).message;
            }
          }
          actions.push(act);
        }
      } finally {
        lock.release();
      }
    }
  }

  if (o.json) {
    o.out(`${JSON.stringify({ apply: o.apply, actions }, null, 2)}\n`);
  } else {
    for (const a of actions) {
      const who = `${a.containerId}${a.ifname !== undefined ? `:${a.ifname}` : ""}`;
      if (a.kind === "del-attachment") o.out(`${a.network}: ${verb}DEL stale attachment ${who}${a.error ? ` — failed: ${a.error}` : ""}\n`);
      else if (a.kind === "release-ip") o.out(`${a.network}: ${verb}release ${a.ip} (${who})${a.error ? ` — failed: ${a.error}` : ""}\n`);
      else o.out(`${a.network}: keep ${a.ip} (${who}): younger than the ${o.graceSeconds}s grace period\n`);
    }
    if (actions.length === 0) o.out("nothing stale\n");
    else if (!o.apply) o.out("dry run: nothing changed (use --apply)\n");
  }
  return actions.some((a) => a.error !== undefined) ? 1 : 0;
}
