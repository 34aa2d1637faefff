/**
 * tscni-chain: a whole conflist served by one exec. Its config carries the list's `plugins`; each
 * verb runs them with src/runtime's executor exactly as libcni's *NetworkList functions would:
 * ADD in order passing each result on, CHECK in order and DEL in reverse with the prevResult the
 * runtime sent (its cached result), GC and STATUS to every member. tscni members run in this
 * process; any other type is exec'd from CNI_PATH. The result, or the failing member's error, is
 * the member's own, so the runtime receives what the plain conflist would have given it.
 */
import { type Attachment, type CmdArgs, CniError, decodeConfig, ErrorCode, passThrough, pathDirs, type Result } from "../../src/cni/index.ts";
import * as plain from "../../src/plain-array.ts";
// The executor's files, not src/runtime's index: that also brings the result cache and the
// config-dir reader, whose node:fs and node:path a chain exec would load for nothing.
import { type ChainedResult, ConfError, inProcessOrSpawn, MemberFailure, Members, type NetworkList, pluginConfFrom, type PluginConf, type RuntimeConf } from "../../src/runtime/chain.ts";
import type { PluginEntry } from "../../src/container/index.ts";
import { ChainConfig } from "./config.ts";

type Json = Record<string, unknown>;

interface Chain {
  runtime: Members;
  list: NetworkList;
  rt: RuntimeConf;
  /** The config as Go's runtime decoded it (plain JSON numbers), for values handed on. */
  raw: Json;
}

function members(plugins: unknown[]): PluginConf[] {
  return plain.map(plugins, (p, i) => {
    try {
      return pluginConfFrom(p);
    } catch (err) {
      if (err instanceof ConfError) throw new CniError(ErrorCode.InvalidNetworkConfig, `failed to parse plugin config ${i}: ${err.message}`);
      throw err;
    }
  });
}

/** CNI_ARGS back into the pairs libcni joined with ";" and "=". */
function argPairs(text: string): [string, string][] {
  if (text === "") return [];
  return plain.map(text.split(";"), (pair): [string, string] => {
    const eq = pair.indexOf("=");
    return eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
  });
}

function chainOf(args: CmdArgs): Chain {
  decodeConfig(ChainConfig, args.config, "failed to parse network config: ");
  const raw = JSON.parse(new TextDecoder().decode(args.stdin)) as Json;
  const plugins = raw.plugins as unknown[];
  const list: NetworkList = {
    name: String(raw.name),
    cniVersion: args.cniVersion,
    disableCheck: false,
    disableGC: false,
    loadOnlyInlinedPlugins: true,
    plugins: members(plugins),
    bytes: new Uint8Array(),
  };
  const runtimeConfig = raw.runtimeConfig as Json | undefined;
  const rt: RuntimeConf = { containerId: args.containerId, netns: args.netns, ifname: args.ifname, args: argPairs(args.args), capabilityArgs: runtimeConfig };
  const runtime = new Members({ binDirs: pathDirs(args.path), env: args.env, exec: inProcessOrSpawn });
  return { runtime, list, rt, raw };
}

/** A member's failure is the chain's, code and message unchanged. */
async function asMember<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw err instanceof MemberFailure ? err.error : err;
  }
}

/** The prevResult the runtime sent, re-marshalled as libcni hands it to a plugin (`version`: at which). */
function prevResult(c: Chain, version?: string): ChainedResult | undefined {
  const prev = c.raw.prevResult as Json | undefined;
  if (prev === undefined || prev === null) return undefined;
  const own = typeof prev.cniVersion === "string" && prev.cniVersion !== "" ? prev.cniVersion : c.list.cniVersion;
  const at = version ?? own;
  return { version: at, result: Members.convertResult(prev, at) };
}

async function add(args: CmdArgs): Promise<Result> {
  const c = chainOf(args);
  const last = await asMember(() => c.runtime.addMembers(c.list, c.rt, prevResult(c)));
  return passThrough(last.result);
}

async function check(args: CmdArgs): Promise<void> {
  const c = chainOf(args);
  await asMember(() => c.runtime.checkMembers(c.list, c.rt, prevResult(c, c.list.cniVersion)?.result));
}

async function del(args: CmdArgs): Promise<void> {
  const c = chainOf(args);
  await asMember(() => c.runtime.delMembers(c.list, c.rt, prevResult(c, c.list.cniVersion)?.result));
}

/** Every member gets GC; one failure is returned as is, several as libcni joins them. */
async function gc(args: CmdArgs): Promise<void> {
  const c = chainOf(args);
  const valid = (c.raw["cni.dev/valid-attachments"] ?? c.raw["cni.dev/attachments"]) as Attachment[] | undefined;
  const failures = await c.runtime.gcMembers(c.list, valid ?? undefined);
  const [first] = failures;
  if (first === undefined) return;
  if (failures.length === 1) throw first.error;
  throw new CniError(first.error.code, failures.map((f) => `failed to GC plugin ${f.plugin.type}: ${f.message}`).join("\n"));
}

async function status(args: CmdArgs): Promise<void> {
  const c = chainOf(args);
  await c.runtime.status(c.list);
}

export const tscniChain: PluginEntry = {
  name: "tscni-chain",
  add,
  del,
  check,
  gc,
  status,
  checkConfig: async (config, problems, cniVersion) => (await import("./members.ts")).checkMembers(config, problems, cniVersion),
  describe: async (config) => (await import("./members.ts")).describeMembers(config),
};
