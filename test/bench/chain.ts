/**
 * Conflists run by the product's own executor (src/runtime, what `tscni run` uses and what
 * libcni does): ADD through the plugins in order, each given the previous result; CHECK and DEL
 * with the cached ADD result, DEL in reverse; capability args reach only the plugins that declare
 * them. Every plugin exec goes through the bench's Runner, so each exec is measured exactly as a
 * single-plugin call is; the runtime's own work (stdin building, the result cache) is inside the
 * operation's wall time, as it is on a node.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type NetworkList, parseConfList, Runtime, type RuntimeConf } from "../../src/runtime/index.ts";
import { type Call, ExecError, type Runner } from "./proc.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: JsonObject[];
}

export interface Attachment {
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS as a runtime passes them ("K=V;K=V"). */
  args?: string;
  /** e.g. { portMappings: [...] } */
  capabilityArgs?: JsonObject;
}

/** The result cache of every chain in this bench process (keys are unique per attachment). */
const cacheDir = mkdtempSync(join(tmpdir(), "tscni-bench-cache-"));
process.on("exit", () => rmSync(cacheDir, { recursive: true, force: true }));

const parsed = new WeakMap<ConfList, NetworkList>();

function networkList(list: ConfList): NetworkList {
  let l = parsed.get(list);
  if (l === undefined) {
    l = parseConfList(new TextEncoder().encode(JSON.stringify(list)));
    parsed.set(list, l);
  }
  return l;
}

function runtimeConf(att: Attachment): RuntimeConf {
  const args = (att.args ?? "")
    .split(";")
    .filter((kv) => kv !== "")
    .map((kv): [string, string] => {
      const eq = kv.indexOf("=");
      return eq < 0 ? [kv, ""] : [kv.slice(0, eq), kv.slice(eq + 1)];
    });
  return { containerId: att.containerId, netns: att.netns, ifname: att.ifname, args, capabilityArgs: att.capabilityArgs };
}

/**
 * Runs one verb of a list through src/runtime with `runner` doing the execs. A failing plugin
 * surfaces as the Runner's ExecError (the bench tells "not implemented yet" from it), not as the
 * runtime's wrapped error.
 */
async function viaRuntime(runner: Runner, verb: (rt: Runtime) => Promise<unknown>): Promise<unknown> {
  let failed: ExecError | undefined;
  const runtime = new Runtime({
    binDirs: [runner.binDir],
    cacheDir,
    env: {},
    stderr: () => undefined,
    exec: async (req) => {
      const call: Call = {
        plugin: basename(req.path),
        command: req.env.CNI_COMMAND ?? "",
        containerId: req.env.CNI_CONTAINERID,
        netns: req.env.CNI_NETNS,
        ifname: req.env.CNI_IFNAME,
        args: req.env.CNI_ARGS,
        stdin: req.stdin,
      };
      const reply = await runner.run(call);
      if (reply.code !== 0) failed ??= new ExecError(runner.impl, call, reply);
      return { code: reply.code, stdout: reply.stdout, stderr: reply.stderr };
    },
  });
  try {
    return await verb(runtime);
  } catch (err) {
    throw failed ?? err;
  }
}

/** The final result goes to the runtime's cache, where CHECK and DEL read it. */
export async function chainAdd(runner: Runner, list: ConfList, att: Attachment): Promise<void> {
  await viaRuntime(runner, (rt) => rt.add(networkList(list), runtimeConf(att)));
}

export async function chainCheck(runner: Runner, list: ConfList, att: Attachment): Promise<void> {
  await viaRuntime(runner, (rt) => rt.check(networkList(list), runtimeConf(att)));
}

export async function chainDel(runner: Runner, list: ConfList, att: Attachment): Promise<void> {
  await viaRuntime(runner, (rt) => rt.del(networkList(list), runtimeConf(att)));
}

/** A single-plugin network, as a conflist of one. */
export function single(conf: JsonObject): ConfList {
  const { cniVersion, name, ...plugin } = conf;
  if (typeof cniVersion !== "string" || typeof name !== "string") throw new Error("conf needs cniVersion and name");
  return { cniVersion, name, plugins: [plugin] };
}
