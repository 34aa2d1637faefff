/**
 * The part of the libcni-equivalent executor that runs a list's members (SPEC.md "Execution of
 * Network Configurations"): ADD in order, each plugin given the previous result; CHECK in order
 * and DEL in reverse with a prevResult; GC and STATUS to every member. Only capabilities a plugin
 * declares reach its `runtimeConfig`. No result cache and no config files here (runtime.ts adds
 * them): an exec that runs a list itself (chain mode) then loads neither node:fs nor node:path,
 * whose loading compiles Bun's JS implementation of them from source (docs/performance.md).
 */
import {
  atLeast,
  type Attachment,
  CniError,
  goMarshalIndent,
  isValidName,
  parseResult,
  pluginFailure,
  resultToWire,
  validateContainerId,
  validateIfName,
} from "../cni/index.ts";
import * as plain from "../plain-array.ts";
import type { NetworkList, PluginConf } from "./conf.ts";
import { type ExecReply, findInPath, type PluginExec, spawnPlugin } from "./exec.ts";
import { member, MemberFailure } from "./member.ts";
import { goCompact, isObject, type Json, sortDeep, Verbatim } from "./json.ts";

/** The per-call parameters a runtime passes besides the config (libcni's RuntimeConf). */
export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS as ordered pairs. */
  args: [string, string][];
  capabilityArgs?: Json;
}

export interface MemberOptions {
  binDirs: readonly string[];
  /** Base environment for plugins (default: this process's). */
  env?: Readonly<Record<string, string | undefined>>;
  exec?: PluginExec;
  /** Where plugins' stderr goes on success (default: our stderr). */
  stderr?: (text: string) => void;
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

/** Whether `stdout` is `result` as a plugin prints it (Go's MarshalIndent), in its own key order or sorted. */
function printedBack(stdout: string, result: Json): boolean {
  const own = goMarshalIndent(result);
  // The same keys and values in another order print to the same length: one cheap test first.
  if (stdout.length !== own.length) return false;
  return stdout === own || stdout === goMarshalIndent(sortDeep(result));
}

export class Members {
  readonly binDirs: readonly string[];
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly exec: PluginExec;
  private readonly stderr: (text: string) => void;
  readonly calls: CallRecord[] = [];

  constructor(o: MemberOptions) {
    this.binDirs = o.binDirs;
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
      CNI_ARGS: plain.map(rt?.args ?? [], ([k, v]) => `${k}=${v}`).join(";"),
      CNI_IFNAME: rt?.ifname ?? "",
      CNI_PATH: this.binDirs.join(":"),
    });
    return env;
  }

  protected async run(command: string, p: PluginConf, stdin: string, rt: RuntimeConf | undefined): Promise<ExecReply> {
    const path = findInPath(p.type, this.binDirs);
    const env = this.cniEnv(command, rt);
    this.calls.push({ command, plugin: p.type, path, stdin, env });
    const reply = await this.exec({ path, stdin, env });
    if (reply.code !== 0 || reply.spawnError !== undefined) throw pluginFailure(reply);
    if (reply.stderr !== "") this.stderr(reply.stderr);
    return reply;
  }

  /**
   * A plugin's ADD output, with libcni's fix-up: a result without cniVersion has the config's.
   * A member that handed its prevResult on unchanged (portmap, tuning, firewall…) printed it back
   * in its struct or map key order: those exact bytes decode to the result it was given (parsing
   * and re-marshalling a result it produced changes nothing, test/unit/runtime), so that result is
   * kept instead of parsed again (~0.9 M instructions a member in chain mode).
   */
  static decodeResult(stdout: string, configVersion: string, given?: ChainedResult): ChainedResult {
    // resultToWire always labels a result, so its own cniVersion is what the full decode would pick.
    if (given !== undefined && printedBack(stdout, given.result)) return { version: String(given.result.cniVersion), result: given.result };
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
        const reply = await this.run("ADD", p, Members.pluginStdin(list, p, prev?.result, rt), rt);
        return Members.decodeResult(reply.stdout, list.cniVersion, prev);
      });
    }
    if (prev === undefined) throw new Error(`network ${JSON.stringify(list.name)} has no plugins`);
    return prev;
  }

  /** CHECK through every member in order with `cached` as prevResult; the first failure stops it. */
  async checkMembers(list: NetworkList, rt: RuntimeConf, cached: Json | undefined): Promise<void> {
    for (const p of list.plugins) {
      await member(p, "check", () => this.run("CHECK", p, Members.pluginStdin(list, p, cached, rt), rt));
    }
  }

  /** DEL through every member in reverse order with `cached` as prevResult; the first failure stops it. */
  async delMembers(list: NetworkList, rt: RuntimeConf, cached: Json | undefined): Promise<void> {
    for (let i = list.plugins.length - 1; i >= 0; i--) {
      const p = list.plugins[i] as PluginConf;
      await member(p, "delete", () => this.run("DEL", p, Members.pluginStdin(list, p, cached, rt), rt));
    }
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
