/**
 * A libcni-equivalent executor (SPEC.md "Execution of Network Configurations"): ADD runs the
 * plugins in order, each getting the previous result; CHECK and DEL get the cached result
 * converted to the list's version, DEL in reverse order; GC first deletes stale cached
 * attachments, then (spec ≥ 1.1.0) sends GC with the valid attachments; STATUS asks each plugin.
 * Only capabilities a plugin declares reach its `runtimeConfig`.
 */
import {
  atLeast,
  type Attachment,
  CniError,
  isValidName,
  parseResult,
  pluginFailure,
  resultToWire,
  validateContainerId,
  validateIfName,
} from "../cni/index.ts";
import { cachedAttachments, DEFAULT_CACHE_DIR, deleteCache, readCachedResult, type RuntimeConf, writeCache } from "./cache.ts";
import type { NetworkList, PluginConf } from "./conf.ts";
import { errorText, type ExecReply, findInPath, type PluginExec, spawnPlugin } from "./exec.ts";
import { member, MemberFailure, wrapped } from "./member.ts";
import { goCompact, isObject, type Json, Verbatim } from "./json.ts";

export interface RuntimeOptions {
  binDirs: readonly string[];
  /** libcni's cache dir; results live in `<cacheDir>/results`. */
  cacheDir?: string;
  /** Base environment for plugins (default: this process's). */
  env?: Readonly<Record<string, string | undefined>>;
  exec?: PluginExec;
  /** Where plugins' stderr goes on success (default: our stderr). */
  stderr?: (text: string) => void;
}

/** What ADD returns: the final result as the last plugin printed it (re-marshalled, like libcni). */
export interface AddOutcome {
  /** The result's own version. */
  cniVersion: string;
  /** Wire form in that version (key order as Go marshals it). */
  result: Json;
  cacheFile: string;
}

/** One plugin call as it was made: useful for tests and `--verbose`. */
export interface CallRecord {
  command: string;
  plugin: string;
  path: string;
  stdin: string;
  env: Record<string, string>;
}

/** A result as it travels on: parsed at its own version and re-marshalled (Go struct order). */
export interface ChainedResult {
  version: string;
  result: Json;
}

export class Runtime {
  readonly binDirs: readonly string[];
  readonly cacheDir: string;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly exec: PluginExec;
  private readonly stderr: (text: string) => void;
  readonly calls: CallRecord[] = [];

  constructor(o: RuntimeOptions) {
    this.binDirs = o.binDirs;
    this.cacheDir = o.cacheDir ?? DEFAULT_CACHE_DIR;
    this.env = o.env ?? process.env;
    this.exec = o.exec ?? spawnPlugin;
    this.stderr = o.stderr ?? ((t) => void process.stderr.write(t));
  }

  /** The stdin libcni builds for one plugin of a list. */
  static pluginStdin(list: NetworkList, p: PluginConf, prev: Json | undefined, rt: RuntimeConf | undefined): string {
    const conf: Json = { ...p.raw, name: list.name, cniVersion: list.cniVersion };
    if (prev !== undefined) conf.prevResult = new Verbatim(prev);
    const rc: Json = {};
    if (rt?.capabilityArgs !== undefined) {
      for (const c of p.capabilities) if (c in rt.capabilityArgs) rc[c] = rt.capabilityArgs[c];
    }
    // A second injection round trip (runtimeConfig) re-marshals prevResult as a plain map.
    if (Object.keys(rc).length === 0) return goCompact(conf);
    return goCompact({ ...JSON.parse(goCompact(conf)), runtimeConfig: rc });
  }

  private cniEnv(command: string, rt: RuntimeConf | undefined): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, {
      CNI_COMMAND: command,
      CNI_CONTAINERID: rt?.containerId ?? "",
      CNI_NETNS: rt?.netns ?? "",
      CNI_ARGS: (rt?.args ?? []).map(([k, v]) => `${k}=${v}`).join(";"),
      CNI_IFNAME: rt?.ifname ?? "",
      CNI_PATH: this.binDirs.join(":"),
    });
    return env;
  }

  private async run(command: string, p: PluginConf, stdin: string, rt: RuntimeConf | undefined): Promise<ExecReply> {
    const path = findInPath(p.type, this.binDirs);
    const env = this.cniEnv(command, rt);
    this.calls.push({ command, plugin: p.type, path, stdin, env });
    const reply = await this.exec({ path, stdin, env });
    if (reply.code !== 0 || reply.spawnError !== undefined) throw pluginFailure(reply);
    if (reply.stderr !== "") this.stderr(reply.stderr);
    return reply;
  }

  /** A plugin's ADD output, with libcni's fix-up: a result without cniVersion has the config's. */
  private static decodeResult(stdout: string, configVersion: string): { version: string; result: Json } {
    let raw: unknown;
    try {
      raw = JSON.parse(stdout);
    } catch (err) {
      throw new Error(`failed to unmarshal raw result: ${(err as Error).message}`);
    }
    const obj: Json = isObject(raw) ? { ...raw } : {};
    const own = obj.cniVersion;
    const version = typeof own === "string" && own !== "" ? own : configVersion === "" ? "0.1.0" : configVersion;
    obj.cniVersion = version;
    return { version, result: resultToWire(parseResult(obj, version), version) };
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

  /** A result document parsed at its own version and re-marshalled at `version`, as libcni's types do. */
  static convertResult(raw: Json, version: string): Json {
    const own = typeof raw.cniVersion === "string" && raw.cniVersion !== "" ? raw.cniVersion : "0.1.0";
    return resultToWire(parseResult(raw, own), version);
  }

  /** ADD through every member in order, each given the previous result; no cache involved. */
  async addMembers(list: NetworkList, rt: RuntimeConf, first?: ChainedResult): Promise<ChainedResult> {
    let prev = first;
    for (const p of list.plugins) {
      prev = await member(p, "add", async () => {
        findInPath(p.type, this.binDirs);
        validateContainerId(rt.containerId);
        if (!isValidName(list.name)) throw new CniError(7, "invalid characters found in network name", list.name);
        validateIfName(rt.ifname);
        const reply = await this.run("ADD", p, Runtime.pluginStdin(list, p, prev?.result, rt), rt);
        return Runtime.decodeResult(reply.stdout, list.cniVersion);
      });
    }
    if (prev === undefined) throw new Error(`network ${JSON.stringify(list.name)} has no plugins`);
    return prev;
  }

  /** CHECK through every member in order with `cached` as prevResult; the first failure stops it. */
  async checkMembers(list: NetworkList, rt: RuntimeConf, cached: Json | undefined): Promise<void> {
    for (const p of list.plugins) {
      await member(p, "check", () => this.run("CHECK", p, Runtime.pluginStdin(list, p, cached, rt), rt));
    }
  }

  /** DEL through every member in reverse order with `cached` as prevResult; the first failure stops it. */
  async delMembers(list: NetworkList, rt: RuntimeConf, cached: Json | undefined): Promise<void> {
    for (const p of [...list.plugins].reverse()) {
      await member(p, "delete", () => this.run("DEL", p, Runtime.pluginStdin(list, p, cached, rt), rt));
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

  /** GC sent to every member with the valid attachments (both keys, libcni #1101); each failure kept. */
  async gcMembers(list: NetworkList, valid: Attachment[] | undefined): Promise<MemberFailure[]> {
    const failures: MemberFailure[] = [];
    for (const p of list.plugins) {
      const conf: Json = { ...p.raw, name: list.name, cniVersion: list.cniVersion };
      if (valid !== undefined) {
        conf["cni.dev/valid-attachments"] = valid;
        conf["cni.dev/attachments"] = valid;
      }
      try {
        await member(p, "gc", () => this.run("GC", p, goCompact(conf), undefined));
      } catch (err) {
        if (!(err instanceof MemberFailure)) throw err;
        failures.push(err);
      }
    }
    return failures;
  }

  /** STATUS below 1.1.0 is not asked and counts as ready; the first failure is returned as is. */
  async status(list: NetworkList): Promise<void> {
    if (!atLeast(list.cniVersion, "1.1.0")) return;
    for (const p of list.plugins) {
      await member(p, "status", () => this.run("STATUS", p, goCompact({ ...p.raw, name: list.name, cniVersion: list.cniVersion }), undefined)).catch(
        (err: unknown) => {
          throw err instanceof MemberFailure ? err.error : err;
        },
      );
    }
  }
}
