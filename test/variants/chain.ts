/**
 * A conflist run by the product's own executor (src/runtime, libcni's behaviour): ADD through the
 * plugins in order, each given the previous result; CHECK and DEL with the cached ADD result (DEL
 * in reverse order); GC with `cni.dev/valid-attachments`. Port mappings go to plugins that declare
 * the capability. Every plugin exec is a runtime's exec on the node (Node.call), and an outcome
 * reports the failing plugin's own reply, so tscni and the reference are compared plugin to plugin.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { basename, join } from "node:path";
import { type NetworkList, parseConfList, Runtime, type RuntimeConf } from "../../src/runtime/index.ts";
import type { CniReply, TempNetns } from "../harness.ts";
import type { Node } from "./node.ts";
import { toChainMode } from "../../src/cli/chain-mode-convert.ts";

export type Json = Record<string, unknown>;

export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: Json[];
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

export interface Attachment {
  ctr: TempNetns;
  id: string;
  mappings?: PortMapping[];
  /** The ADD's final result (set by add). */
  result?: Json;
}

/** The first failing plugin call, or the last one. */
export interface ChainOutcome {
  code: number;
  /** The CNI error's msg (and details), or "" on success. */
  error: string;
  reply: CniReply;
}

function errorText(r: CniReply): string {
  if (r.code === 0) return "";
  const j = r.json as { msg?: string; details?: string } | undefined;
  return j?.msg === undefined ? `${r.stdout}${r.stderr}`.trim() : [j.msg, j.details].filter(Boolean).join(": ");
}

/**
 * TSCNI_VARIANT_CHAIN_MODE=1 (make test-variants' second pass): tscni's node reads every list in
 * chain mode, so one tscni-chain exec runs the members; the reference's node the plain list.
 */
const CHAIN_MODE = process.env.TSCNI_VARIANT_CHAIN_MODE === "1";

function networkList(list: Conflist, node: Node): NetworkList {
  const doc = CHAIN_MODE && node.impl.name === "tscni" ? toChainMode(list as unknown as Json) : list;
  return parseConfList(new TextEncoder().encode(JSON.stringify(doc)));
}

function runtimeConf(a: Attachment): RuntimeConf {
  return {
    containerId: a.id,
    netns: a.ctr.path,
    ifname: "eth0",
    args: [],
    capabilityArgs: a.mappings === undefined ? undefined : { portMappings: a.mappings },
  };
}

/**
 * Runs `verb` on a runtime whose plugin execs are the node's; the outcome is the first failing
 * reply (the runtime stops there), else the last one. `cacheDir` defaults to the node's own.
 */
async function viaRuntime(node: Node, verb: (rt: Runtime) => Promise<unknown>, cacheDir = join(node.work, "cache")): Promise<ChainOutcome> {
  mkdirSync(cacheDir, { recursive: true });
  const replies: CniReply[] = [];
  const runtime = new Runtime({
    binDirs: [node.impl.dir],
    cacheDir,
    env: {},
    stderr: () => undefined,
    exec: async (req) => {
      const reply = await node.call(basename(req.path), {
        command: req.env.CNI_COMMAND ?? "",
        containerId: req.env.CNI_CONTAINERID ?? "",
        netns: req.env.CNI_NETNS ?? "",
        ifname: req.env.CNI_IFNAME,
        stdin: req.stdin,
      });
      replies.push(reply);
      return reply;
    },
  });
  let thrown: unknown;
  try {
    await verb(runtime);
  } catch (err) {
    thrown = err;
  }
  const reply = replies.find((r) => r.code !== 0) ?? replies.at(-1);
  if (reply === undefined) throw thrown ?? new Error("empty conflist");
  if (thrown !== undefined && reply.code === 0) throw thrown;
  return { code: reply.code, error: errorText(reply), reply };
}

export async function add(node: Node, list: Conflist, a: Attachment): Promise<ChainOutcome> {
  const out = await viaRuntime(node, async (rt) => {
    a.result = (await rt.add(networkList(list, node), runtimeConf(a))).result;
  });
  return out;
}

export function check(node: Node, list: Conflist, a: Attachment): Promise<ChainOutcome> {
  return viaRuntime(node, (rt) => rt.check(networkList(list, node), runtimeConf(a)));
}

export function del(node: Node, list: Conflist, a: Attachment): Promise<ChainOutcome> {
  return viaRuntime(node, (rt) => rt.del(networkList(list, node), runtimeConf(a)));
}

/**
 * GC keeping only `valid`, from a runtime that has no cached results (as after its cache was
 * lost): the plugins' own GC has to find what is stale; libcni would otherwise DEL the cached
 * attachments itself first.
 */
export function gc(node: Node, list: Conflist, valid: Attachment[]): Promise<ChainOutcome> {
  const empty = mkdtempSync(join(node.work, "no-cache-"));
  return viaRuntime(node, (rt) => rt.gc(networkList(list, node), valid.map((v) => ({ containerID: v.id, ifname: "eth0" }))), empty);
}

function addressOf(a: Attachment, v6: boolean): string {
  const ips = (a.result?.ips ?? []) as { address: string }[];
  const found = ips.map((i) => i.address.split("/")[0] ?? "").find((x) => x.includes(":") === v6);
  if (found === undefined) throw new Error(`no IPv${v6 ? 6 : 4} address in ${JSON.stringify(a.result)}`);
  return found;
}

/** The container's first IPv4 address from an ADD result. */
export const ipv4 = (a: Attachment): string => addressOf(a, false);
/** The container's first IPv6 address from an ADD result. */
export const ipv6 = (a: Attachment): string => addressOf(a, true);

export interface PodNetwork {
  name: string;
  /** IPv4 /24 (and optionally an IPv6 /64) for host-local; a default route for each family. */
  subnets: string[];
  ipMasq: boolean;
  hairpinMode?: boolean;
  /** Extra bridge keys (mtu, forceAddress, bridge…). */
  bridge?: Json;
}

/** The kubeadm/containerd shape: bridge `cni0` (gateway) with host-local in the node's dir, then portmap. */
export function podNetwork(node: Node, n: PodNetwork): Conflist {
  return {
    cniVersion: "1.1.0",
    name: n.name,
    plugins: [
      {
        type: "bridge",
        bridge: "cni0",
        isGateway: true,
        ipMasq: n.ipMasq,
        hairpinMode: n.hairpinMode ?? false,
        ...n.bridge,
        ipam: {
          type: "host-local",
          ranges: n.subnets.map((subnet) => [{ subnet }]),
          routes: n.subnets.map((subnet) => ({ dst: subnet.includes(":") ? "::/0" : "0.0.0.0/0" })),
          dataDir: `${node.work}/ipam`,
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}
