/**
 * The network configurations the scenarios feed both implementations. The containerd one is the
 * default written by containerd's install-cni script (plus go-cni's built-in loopback network);
 * every host-local dataDir points into the benchmark's temp dir, never /var/lib/cni.
 */
import { randomBytes } from "node:crypto";
import type { ConfList, JsonObject } from "./chain.ts";
import type { InstanceCtx } from "./model.ts";

export const CNI_VERSION = "1.0.0";

/** Disjoint per scenario and per implementation. */
export function subnet4(ctx: Pick<InstanceCtx, "index" | "slot">): string {
  return `10.${100 + ctx.index * 3 + ctx.slot}.0.0/16`;
}
export function subnet6(ctx: Pick<InstanceCtx, "index" | "slot">): string {
  return `fd00:${ctx.index.toString(16)}:${ctx.slot}::/64`;
}
/** Bridge names stay ≤ 15 characters. */
export function bridgeName(code: string, ctx: Pick<InstanceCtx, "slot">): string {
  return `tb-${code}-${["ts", "rf", "v9"][ctx.slot] ?? "xx"}`;
}

export function containerId(): string {
  return randomBytes(32).toString("hex");
}

/** CNI_ARGS as the containerd CRI plugin passes them. */
export function k8sArgs(cid: string, pod: string): string {
  return `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod};K8S_POD_INFRA_CONTAINER_ID=${cid};K8S_POD_UID=${cid.slice(0, 8)}-bench`;
}

/** go-cni's loopback network, set up before the configured one. */
export const goCniLoopback: ConfList = { cniVersion: CNI_VERSION, name: "cni-loopback", plugins: [{ type: "loopback" }] };

export function hostLocal(ranges: string[], routes: string[], dataDir: string): JsonObject {
  return {
    type: "host-local",
    ranges: ranges.map((subnet) => [{ subnet }]),
    routes: routes.map((dst) => ({ dst })),
    dataDir,
  };
}

export type Masq = "none" | "iptables" | "nftables";

export function bridgePlugin(bridge: string, masq: Masq, ipam: JsonObject): JsonObject {
  const p: JsonObject = { type: "bridge", bridge, isGateway: true, ipMasq: masq !== "none", ipam };
  if (masq === "nftables") p.ipMasqBackend = "nftables";
  return p;
}

/** containerd's default conflist (dual stack, masquerade, promiscuous bridge, portmap). */
export function containerdNet(ctx: InstanceCtx, dataDir: string, code = "cd"): ConfList {
  const ipam = hostLocal([subnet4(ctx), subnet6(ctx)], ["0.0.0.0/0", "::/0"], dataDir);
  return {
    cniVersion: CNI_VERSION,
    name: "containerd-net",
    plugins: [
      { type: "bridge", bridge: bridgeName(code, ctx), isGateway: true, ipMasq: true, promiscMode: true, ipam },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}

/** IPv4 bridge + host-local with masquerading + portmap: the density and concurrency network. */
export function podNet(ctx: InstanceCtx, code: string, dataDir: string, withPortmap: boolean): ConfList {
  const plugins: JsonObject[] = [bridgePlugin(bridgeName(code, ctx), "iptables", hostLocal([subnet4(ctx)], ["0.0.0.0/0"], dataDir))];
  if (withPortmap) plugins.push({ type: "portmap", capabilities: { portMappings: true } });
  return { cniVersion: CNI_VERSION, name: `bench-${code}`, plugins };
}

export interface PortMapping extends JsonObject {
  hostPort: number;
  containerPort: number;
  protocol: string;
}

export function portMappings(n: number, base: number): PortMapping[] {
  const protos = ["tcp", "tcp", "udp", "tcp"];
  return Array.from({ length: n }, (_, i) => ({ hostPort: base + i, containerPort: 80 + i, protocol: protos[i % protos.length] ?? "tcp" }));
}

/** A 1.0.0 bridge-like result for portmap on its own (the container address need not exist). */
export function syntheticPrevResult(ctx: InstanceCtx, netns: string): JsonObject {
  const net = subnet4(ctx).split(".");
  const prefix = `${net[0]}.${net[1]}`;
  return {
    cniVersion: CNI_VERSION,
    interfaces: [
      { name: bridgeName("pm", ctx), mac: "0a:58:0a:00:00:01" },
      { name: "veth0bench", mac: "0a:58:0a:00:00:02" },
      { name: "eth0", mac: "0a:58:0a:00:00:03", sandbox: netns },
    ],
    ips: [{ interface: 2, address: `${prefix}.0.5/16`, gateway: `${prefix}.0.1` }],
    routes: [{ dst: "0.0.0.0/0" }],
    dns: {},
  };
}
