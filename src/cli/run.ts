/**
 * `tscni run add|check|del|gc|status <network> <netns>`: a runtime in one command, like cnitool,
 * but with flags and the same cache layout, so its results and cache files equal cnitool's.
 */
import { resolve } from "node:path";
import { goMarshalIndent } from "../cni/index.ts";
import { loadNetwork, Runtime, type RuntimeConf } from "../runtime/index.ts";
import { binDirs, cacheDir, cnitoolContainerId, confDir, type Env, parseAttachment, parseCniArgsPairs } from "./options.ts";

export const RUN_VERBS = ["add", "check", "del", "gc", "status"] as const;
export type RunVerb = (typeof RUN_VERBS)[number];

export interface RunOptions {
  verb: string;
  network: string;
  netns: string;
  ifname?: string;
  containerId?: string;
  capArgs?: string;
  cniArgs?: string;
  confDir?: string;
  binDir?: string;
  cacheDir?: string;
  /** For gc: CID:IFNAME entries; undefined = none given (everything cached is stale, like cnitool). */
  valid?: string[];
  env: Env;
  out: (text: string) => void;
  err: (text: string) => void;
}

function isVerb(v: string): v is RunVerb {
  return (RUN_VERBS as readonly string[]).includes(v);
}

function capabilityArgs(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`--cap-args is not JSON: ${(err as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("--cap-args must be a JSON object");
  return v as Record<string, unknown>;
}

export async function runCommand(o: RunOptions): Promise<number> {
  if (!isVerb(o.verb)) throw new Error(`unknown verb ${JSON.stringify(o.verb)}: use one of ${RUN_VERBS.join(", ")}`);
  const list = loadNetwork(confDir(o.confDir, o.env), o.network);
  const runtime = new Runtime({
    binDirs: binDirs(o.binDir, o.env),
    cacheDir: cacheDir(o.cacheDir, o.env),
    env: o.env,
    stderr: o.err,
  });
  if (o.verb === "status") {
    await runtime.status(list);
    return 0;
  }
  if (o.verb === "gc") {
    const valid = o.valid?.map(parseAttachment);
    const errors = await runtime.gc(list, valid);
    for (const e of errors) o.err(`tscni: ${e.message}\n`);
    return errors.length === 0 ? 0 : 1;
  }
  if (o.netns === "") throw new Error("a netns path is required");
  const ifname = o.ifname ?? (o.env.CNI_IFNAME !== undefined && o.env.CNI_IFNAME !== "" ? o.env.CNI_IFNAME : "eth0");
  const rt: RuntimeConf = {
    containerId: o.containerId ?? cnitoolContainerId(o.netns),
    netns: resolve(o.netns),
    ifname,
    args: parseCniArgsPairs(o.cniArgs ?? o.env.CNI_ARGS ?? ""),
    capabilityArgs: capabilityArgs(o.capArgs ?? o.env.CAP_ARGS),
  };
  switch (o.verb) {
    case "add": {
      let r: Awaited<ReturnType<Runtime["add"]>>;
      try {
        r = await runtime.add(list, rt);
      } catch (err) {
        // As containerd does: a failed ADD is followed by DEL of the whole chain, so the plugins
        // that did succeed give back what they took (addresses, links, rules).
        await runtime.del(list, rt).catch((delErr: unknown) => o.err(`tscni: DEL after the failed ADD failed too: ${(delErr as Error).message}\n`));
        throw err;
      }
      // cnitool writes no final newline; a document on stdout ends with one, for shells and `jq -s`.
      o.out(`${goMarshalIndent(r.result)}\n`);
      return 0;
    }
    case "check":
      await runtime.check(list, rt);
      return 0;
    case "del":
      await runtime.del(list, rt);
      return 0;
  }
}
