/**
 * A conflist run the way libcni runs it: ADD through the plugins in order, each given the previous
 * result; CHECK and DEL with the last ADD's result as prevResult (DEL in reverse order); GC with
 * `cni.dev/valid-attachments`. Port mappings go to plugins that declare the capability.
 */
import type { CniReply, TempNetns } from "../harness.ts";
import type { Node } from "./node.ts";

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

/** The first failing call, or the last one; `result` holds the chain's result after ADD. */
export interface ChainOutcome {
  code: number;
  /** The CNI error's msg (and details), or "" on success. */
  error: string;
  reply: CniReply;
}

function pluginConf(list: Conflist, plugin: Json, a: Attachment, prevResult: Json | undefined): Json {
  const conf: Json = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const caps = plugin.capabilities as Record<string, boolean> | undefined;
  if (caps?.portMappings === true && a.mappings !== undefined) conf.runtimeConfig = { portMappings: a.mappings };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  return conf;
}

export function errorText(r: CniReply): string {
  if (r.code === 0) return "";
  const j = r.json as { msg?: string; details?: string } | undefined;
  return j?.msg === undefined ? `${r.stdout}${r.stderr}`.trim() : [j.msg, j.details].filter(Boolean).join(": ");
}

function outcome(reply: CniReply): ChainOutcome {
  return { code: reply.code, error: errorText(reply), reply };
}

async function run(node: Node, list: Conflist, a: Attachment, command: string, plugins: Json[], prev: (r: Json | undefined) => Json | undefined): Promise<ChainOutcome> {
  let last: CniReply | undefined;
  let prevResult = command === "ADD" ? undefined : a.result;
  for (const p of plugins) {
    const reply = await node.call(String(p.type), {
      command,
      containerId: a.id,
      netns: a.ctr.path,
      stdin: pluginConf(list, p, a, prevResult),
    });
    last = reply;
    if (reply.code !== 0) return outcome(reply);
    prevResult = prev(reply.json as Json | undefined) ?? prevResult;
  }
  if (last === undefined) throw new Error("empty conflist");
  if (command === "ADD") a.result = prevResult;
  return outcome(last);
}

export function add(node: Node, list: Conflist, a: Attachment): Promise<ChainOutcome> {
  return run(node, list, a, "ADD", list.plugins, (r) => r);
}

export function check(node: Node, list: Conflist, a: Attachment): Promise<ChainOutcome> {
  return run(node, list, a, "CHECK", list.plugins, () => undefined);
}

export function del(node: Node, list: Conflist, a: Attachment): Promise<ChainOutcome> {
  return run(node, list, a, "DEL", [...list.plugins].reverse(), () => undefined);
}

/** GC keeping only `valid` (libcni sends the same list to every plugin). */
export async function gc(node: Node, list: Conflist, valid: Attachment[]): Promise<ChainOutcome> {
  let last: CniReply | undefined;
  for (const p of [...list.plugins].reverse()) {
    const stdin: Json = {
      ...p,
      cniVersion: list.cniVersion,
      name: list.name,
      "cni.dev/valid-attachments": valid.map((v) => ({ containerID: v.id, ifname: "eth0" })),
    };
    last = await node.call(String(p.type), { command: "GC", containerId: "", netns: "", stdin });
    if (last.code !== 0) return outcome(last);
  }
  if (last === undefined) throw new Error("empty conflist");
  return outcome(last);
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
