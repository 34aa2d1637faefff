/**
 * The host-local verbs as a function of (env, stdin): what the `host-local` binary runs, and what
 * the bridge calls in-process. Parity notes live in docs/compatibility.md.
 */
// src/cni's files, not its index: an exec of host-local then loads none of the delegation and
// result-parsing code the index also exports (docs/performance.md).
import { CniError, ErrorCode, internalError } from "../../cni/errors.ts";
import { gcAttachments } from "../../cni/gc.ts";
import type { CmdArgs, PluginDef } from "../../cni/plugin.ts";
import type { Result } from "../../cni/result.ts";
import { CURRENT_VERSION } from "../../cni/spec-versions.ts";
import { allocateAll } from "./allocator.ts";
import { type HostLocalConfig, loadHostLocalConfig } from "./config.ts";
import { DiskStore } from "./disk-store.ts";
import { checkAttachment } from "./paths.ts";
import { parseResolvConf } from "./resolv.ts";
import { exhaustedSets, staleReservations } from "./gc.ts";
import type { Store } from "./store.ts";
import { rangeSetString } from "./range.ts";

/** Opens the store a config names (a seam for tests). */
export type StoreFactory = (config: HostLocalConfig) => Store;

const diskStore: StoreFactory = (c) => new DiskStore(c.dataDir, c.name);

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Plain errors become code 999 like the reference; CNI errors (paths 4/7) pass, a lock timeout is 11.
    throw CniError.from(err);
  }
}

export async function hostLocalAdd(a: CmdArgs, openStore: StoreFactory = diskStore): Promise<Result> {
  return guarded(async () => {
    const config = loadHostLocalConfig(a.config, a.args);
    checkAttachment(a.containerId, a.ifname);
    const result: Result = { cniVersion: CURRENT_VERSION };
    if (config.resolvConf !== "") result.dns = parseResolvConf(config.resolvConf);
    const store = openStore(config);
    const lock = await store.lock();
    try {
      result.ips = allocateAll(store, config.rangeSets, a.containerId, a.ifname, config.requestedIPs);
    } finally {
      lock[Symbol.dispose]();
    }
    if (config.routes.length > 0) result.routes = config.routes;
    return result;
  });
}

/** DEL's and CHECK's start: the config loaded, the attachment's names checked, the store locked. */
async function lockedForAttachment(a: CmdArgs, openStore: StoreFactory): Promise<{ store: Store; lock: Disposable }> {
  const config = loadHostLocalConfig(a.config, a.args);
  checkAttachment(a.containerId, a.ifname);
  const store = openStore(config);
  return { store, lock: await store.lock() };
}

export async function hostLocalDel(a: CmdArgs, openStore: StoreFactory = diskStore): Promise<void> {
  return guarded(async () => {
    const { store, lock } = await lockedForAttachment(a, openStore);
    try {
      store.releaseByID(a.containerId, a.ifname);
    } finally {
      lock[Symbol.dispose]();
    }
  });
}

export async function hostLocalCheck(a: CmdArgs, openStore: StoreFactory = diskStore): Promise<void> {
  return guarded(async () => {
    const { store, lock } = await lockedForAttachment(a, openStore);
    try {
      if (!store.findByID(a.containerId, a.ifname)) {
        throw internalError(`host-local: Failed to find address added by container ${a.containerId}`);
      }
    } finally {
      lock[Symbol.dispose]();
    }
  });
}

/**
 * GC (spec 1.1): releases every reservation whose (containerID, ifname) is not in
 * `cni.dev/valid-attachments` (or the legacy `cni.dev/attachments`); a legacy file holding only a
 * container ID survives when that ID is listed with any ifname. `lock` and `last_reserved_ip.*`
 * are never touched; an empty list releases everything.
 */
export async function hostLocalGc(a: CmdArgs, openStore: StoreFactory = diskStore): Promise<void> {
  return guarded(async () => {
    const config = loadHostLocalConfig(a.config, "");
    const valid = gcAttachments(a.config);
    const store = openStore(config);
    using _lock = await store.lock();
    for (const r of staleReservations(store.reservations(), valid)) store.release(r);
  });
}

/** The tscni-only opt-in `ipam.failStatusWhenFull: true` (v1.9.1 ignores unknown keys). */
function failStatusWhenFull(config: Record<string, unknown>): boolean {
  const ipam = config.ipam;
  return typeof ipam === "object" && ipam !== null && (ipam as Record<string, unknown>).failStatusWhenFull === true;
}

/**
 * STATUS: success, as v1.9.1's host-local answers whatever the config or the ranges. A full range
 * fails new ADDs, not the node: containerd turns a failed STATUS into NetworkReady=false and the
 * node goes NotReady. Only with the opt-in `failStatusWhenFull` does an exhausted range set answer
 * code 50 (plugin not available).
 */
export async function hostLocalStatus(a: CmdArgs, openStore: StoreFactory = diskStore): Promise<void> {
  if (!failStatusWhenFull(a.config)) return;
  return guarded(async () => {
    const config = loadHostLocalConfig(a.config, "");
    const store = openStore(config);
    let full: number[];
    {
      using _lock = await store.lock();
      full = exhaustedSets(config.rangeSets, store.reservations());
    }
    const first = full[0];
    if (first !== undefined) {
      const set = config.rangeSets[first] ?? [];
      throw new CniError(
        ErrorCode.PluginNotAvailable,
        `no IP addresses available in range set: ${rangeSetString(set)}`,
        `range set ${first} is exhausted`,
      );
    }
  });
}

export const hostLocal: PluginDef = {
  name: "host-local",
  add: (a) => hostLocalAdd(a),
  del: (a) => hostLocalDel(a),
  check: (a) => hostLocalCheck(a),
  gc: (a) => hostLocalGc(a),
  status: (a) => hostLocalStatus(a),
};
