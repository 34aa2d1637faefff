/**
 * What the soak runs against: the two implementations (tscni's dist/ and the v1.9.1 reference
 * binaries), one bridge + host-local + portmap chain per firewall backend, and a libcni-style
 * runtime (src/runtime) that runs the chain and keeps the result cache. Everything lives under
 * one scratch root inside the soak's own throwaway host namespace.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { distDir, repoRoot, SYSTEM_PATH } from "../harness.ts";
import { type NetworkList, parseConfList, Runtime, type RuntimeConf } from "../../src/runtime/index.ts";
import type { PluginExec } from "../../src/runtime/index.ts";
import { toChainMode } from "../../src/cli/chain-mode-convert.ts";

export const REFERENCE_DIR = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");
export const SCRATCH = "/tmp/tscni-soak";

export interface Impl {
  name: "tscni" | "v1.9.1" | "tscni-chain";
  /** Short tag used in bridge and network names. */
  tag: "t" | "r" | "c";
  binDir: string;
}

/** tscni-chain: tscni's plugins with each list in chain mode (one tscni-chain exec per call). */
export const IMPLS: readonly Impl[] = [
  { name: "tscni", tag: "t", binDir: distDir },
  { name: "v1.9.1", tag: "r", binDir: REFERENCE_DIR },
  { name: "tscni-chain", tag: "c", binDir: distDir },
];

/** The plugin exec that does the bridge's work: the bridge, or in chain mode the chain. */
export const bridgeExec = (impl: Impl): string => (impl.tag === "c" ? "tscni-chain" : "bridge");

export type Backend = "iptables" | "nftables";
export const BACKENDS: readonly Backend[] = ["iptables", "nftables"];

export interface Net {
  impl: Impl;
  backend: Backend;
  name: string;
  bridge: string;
  dataDir: string;
  /** The first address host-local would hand out (IPv4). */
  firstIp: string;
  list: NetworkList;
  /** The bridge plugin's own config (for single-plugin calls), as libcni would hand it over. */
  bridgeConf: Record<string, unknown>;
}

export function implDirs(impl: Impl): { dataDir: string; cacheDir: string } {
  const base = join(SCRATCH, impl.name);
  const dirs = { dataDir: join(base, "data"), cacheDir: join(base, "cache") };
  mkdirSync(dirs.dataDir, { recursive: true });
  mkdirSync(dirs.cacheDir, { recursive: true });
  return dirs;
}

/** One network per implementation and backend, with address space of its own. */
export function network(impl: Impl, backend: Backend): Net {
  const b = backend === "iptables" ? "i" : "n";
  const n = { t: 0, r: 2, c: 4 }[impl.tag] + (backend === "iptables" ? 0 : 1);
  const name = `soak-${impl.tag}${b}`;
  const { dataDir } = implDirs(impl);
  const bridgeConf = {
    type: "bridge",
    bridge: `sk${impl.tag}${b}0`,
    isGateway: true,
    ipMasq: true,
    ipMasqBackend: backend,
    ipam: {
      type: "host-local",
      dataDir,
      ranges: [[{ subnet: `10.${200 + n}.0.0/16` }], [{ subnet: `fd20:${n}::/64` }]],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
    },
  };
  const conf = {
    cniVersion: "1.1.0",
    name,
    plugins: [bridgeConf, { type: "portmap", capabilities: { portMappings: true }, backend }],
  };
  const list = parseConfList(new TextEncoder().encode(JSON.stringify(impl.tag === "c" ? toChainMode(conf) : conf)));
  return { impl, backend, name, bridge: bridgeConf.bridge, dataDir, firstIp: `10.${200 + n}.0.2`, list, bridgeConf: { cniVersion: "1.1.0", name, ...bridgeConf } };
}

export function runtimeFor(impl: Impl, exec?: PluginExec, env: Record<string, string> = { PATH: SYSTEM_PATH }): Runtime {
  return new Runtime({
    binDirs: [impl.binDir],
    cacheDir: implDirs(impl).cacheDir,
    env,
    exec,
    stderr: () => {},
  });
}

/** The runtime's view of one attachment; host ports are unique per slot so mappings never clash. */
export function attachment(id: string, netns: string, hostPort: number): RuntimeConf {
  return {
    containerId: id,
    netns,
    ifname: "eth0",
    args: [],
    capabilityArgs: { portMappings: [{ hostPort, containerPort: 80, protocol: "tcp" }] },
  };
}

/** The IP addresses (without prefix) an ADD result reports. */
export function resultIps(result: unknown): string[] {
  const ips = (result as { ips?: { address?: string }[] } | undefined)?.ips ?? [];
  return ips.map((i) => (i.address ?? "").replace(/\/\d+$/, "")).filter((a) => a !== "");
}
