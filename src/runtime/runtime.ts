/**
 * A libcni-equivalent executor: members.ts's list execution plus the result cache, as libcni's
 * *NetworkList functions do it. ADD caches the final result; CHECK and DEL get the cached result
 * converted to the list's version; GC first deletes stale cached attachments, then (spec ≥ 1.1.0)
 * sends GC with the valid attachments.
 */
import { atLeast, type Attachment, CniError } from "../cni/index.ts";
import { cachedAttachments, DEFAULT_CACHE_DIR, deleteCache, readCachedResult, writeCache } from "./cache.ts";
import type { NetworkList } from "./conf.ts";
import { errorText } from "./exec.ts";
import { MemberFailure, wrapped } from "./member.ts";
import { type ChainedResult, type MemberOptions, Members, type RuntimeConf } from "./members.ts";
import type { Json } from "./json.ts";

export interface RuntimeOptions extends MemberOptions {
  /** libcni's cache dir; results live in `<cacheDir>/results`. */
  cacheDir?: string;
}

/** What ADD returns: the final result as the last plugin printed it (re-marshalled, like libcni). */
export interface AddOutcome {
  /** The result's own version. */
  cniVersion: string;
  /** Wire form in that version (key order as Go marshals it). */
  result: Json;
  cacheFile: string;
}

export class Runtime extends Members {
  readonly cacheDir: string;

  constructor(o: RuntimeOptions) {
    super(o);
    this.cacheDir = o.cacheDir ?? DEFAULT_CACHE_DIR;
  }

  /** A cached result converted to the list's version (what CHECK and DEL hand on). */
  cachedResult(list: NetworkList, rt: RuntimeConf): Json | undefined {
    const raw = readCachedResult(this.cacheDir, list.name, rt);
    if (raw === undefined) return undefined;
    try {
      return Runtime.convertResult(raw, list.cniVersion);
    } catch (err) {
      throw new Error(`failed to convert cached result to config version ${JSON.stringify(list.cniVersion)}: ${(err as Error).message}`);
    }
  }

  async add(list: NetworkList, rt: RuntimeConf): Promise<AddOutcome> {
    let last: ChainedResult;
    try {
      last = await this.addMembers(list, rt);
    } catch (err) {
      throw wrapped(err);
    }
    let file: string;
    try {
      file = writeCache(this.cacheDir, list.name, list.bytes, rt, last.result);
    } catch (err) {
      throw new Error(`failed to set network ${JSON.stringify(list.name)} cached result: ${(err as Error).message}`);
    }
    return { cniVersion: last.version, result: last.result, cacheFile: file };
  }

  /** As libcni's CheckNetworkList, a member's error is returned unwrapped. */
  async check(list: NetworkList, rt: RuntimeConf): Promise<void> {
    if (!atLeast(list.cniVersion, "0.4.0")) {
      throw new Error(`configuration version ${JSON.stringify(list.cniVersion)} does not support the CHECK command`);
    }
    if (list.disableCheck) return;
    let cached: Json | undefined;
    try {
      cached = this.cachedResult(list, rt);
    } catch (err) {
      throw new Error(`failed to get network ${JSON.stringify(list.name)} cached result: ${(err as Error).message}`);
    }
    try {
      await this.checkMembers(list, rt, cached);
    } catch (err) {
      throw err instanceof MemberFailure ? err.error : err;
    }
  }

  async del(list: NetworkList, rt: RuntimeConf): Promise<void> {
    let cached: Json | undefined;
    if (atLeast(list.cniVersion, "0.4.0")) {
      try {
        cached = this.cachedResult(list, rt);
      } catch {
        deleteCache(this.cacheDir, list.name, rt);
        cached = undefined;
      }
    }
    try {
      await this.delMembers(list, rt, cached);
    } catch (err) {
      throw wrapped(err);
    }
    deleteCache(this.cacheDir, list.name, rt);
  }

  /**
   * libcni's GCNetworkList. `valid` undefined means the caller gave no list at all (cnitool):
   * every cached attachment of the network is then deleted and plugins get no attachment keys.
   */
  async gc(list: NetworkList, valid: Attachment[] | undefined): Promise<CniError[]> {
    if (list.disableGC) return [];
    const errors: CniError[] = [];
    const keep = new Set((valid ?? []).map((a) => `${a.containerID}\u0000${a.ifname}`));
    for (const a of cachedAttachments(this.cacheDir)) {
      if (a.network !== list.name || keep.has(`${a.containerId}\u0000${a.ifname}`)) continue;
      try {
        await this.del(list, a);
      } catch (err) {
        const e = CniError.from(err);
        errors.push(new CniError(e.code, `failed to delete stale attachment ${a.containerId} ${a.ifname}: ${errorText(e)}`));
      }
    }
    if (atLeast(list.cniVersion, "1.1.0")) {
      for (const f of await this.gcMembers(list, valid)) {
        errors.push(new CniError(f.error.code, `failed to GC plugin ${f.plugin.type}: ${f.message}`));
      }
    }
    return errors;
  }
}
