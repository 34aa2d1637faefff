/**
 * Backend choice, as the reference makes it, plus tscni's one fix: portmap conditions written in
 * nft syntax select nftables when no backend is configured (the reference reports a conflict
 * instead, although its docs promise this). Listed in docs/compatibility.md.
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import { type Backend, isBackend } from "./backends.ts";
import { resolveIptables, resolveNft, spawnTool, type ToolRunner } from "./exec.ts";
import type { Family } from "./model.ts";
import { netlinkTransport } from "./transport.ts";
import { goQuote } from "../gofmt/index.ts";

export type { Backend };

/** On nf_tables, a probe that changes nothing, answered over netlink; undefined: ask the tool. */
async function netlinkWritable(run: ToolRunner, families: readonly Family[] = []): Promise<boolean | undefined> {
  return (await netlinkTransport(run, families))?.nftWritable();
}

/**
 * Whether iptables for this family can at least list a chain (the reference lists filter INPUT).
 * An nft-flavoured iptables can exactly when this process may use nf_tables: asked over netlink.
 */
export async function iptablesUsable(family: Family, run: ToolRunner = spawnTool, table = "filter", chain = "INPUT"): Promise<boolean> {
  const tools = resolveIptables(family);
  if (tools === null) return false;
  const writable = await netlinkWritable(run, [family]);
  if (writable !== undefined) return writable;
  try {
    const r = await run([...tools.iptables, "-t", table, "-S", chain, "-w", "5"]);
    return r.code === 0;
  } catch {
    return false;
  }
}

/** Whether nft can check a transaction against the kernel (needs CAP_NET_ADMIN; changes nothing). */
export async function nftablesUsable(run: ToolRunner = spawnTool): Promise<boolean> {
  const nft = resolveNft();
  if (nft === null) return false;
  const writable = await netlinkWritable(run);
  if (writable !== undefined) return writable;
  try {
    const r = await run([nft, "--check", "add", "table", "ip", "supports_nftables_test"]);
    return r.code === 0;
  } catch {
    return false;
  }
}

export interface Probes {
  iptables(): Promise<boolean>;
  nftables(): Promise<boolean>;
}

export const systemProbes: Probes = {
  iptables: () => iptablesUsable(4),
  nftables: () => nftablesUsable(),
};

/** Default when nothing in the config decides: iptables, unless only nftables works. */
export async function defaultBackend(probes: Probes = systemProbes): Promise<Backend> {
  if (await probes.iptables()) return "iptables";
  return (await probes.nftables()) ? "nftables" : "iptables";
}

/** bridge `ipMasqBackend`. An unknown name fails only when masquerading is set up, like the reference. */
export async function masqBackend(configured: string | undefined, probes: Probes = systemProbes): Promise<Backend> {
  if (configured === undefined) return defaultBackend(probes);
  if (isBackend(configured)) return configured;
  throw new CniError(ErrorCode.Internal, `unknown ipmasq backend ${goQuote(configured)}`);
}

/**
 * The masquerade backend, checked before the plugin changes anything: a node without its tool gets
 * the reference's "failed to locate" error up front instead of after the bridge and veth exist.
 */
export async function masqBackendReady(configured: string | undefined, probes: Probes = systemProbes): Promise<Backend> {
  const backend = await masqBackend(configured, probes);
  const tool = backend === "iptables" ? "iptables" : "nft";
  if ((backend === "iptables" ? resolveIptables(4) : resolveNft()) === null) {
    const hint = configured === undefined ? " (ipMasq needs iptables or nft)" : "";
    throw new CniError(ErrorCode.Internal, `failed to locate ${tool}: executable file not found in $PATH${hint}`);
  }
  return backend;
}

/** Which backend a conditions list is written for: iptables tokens start with `-` or `!`. */
export function conditionsBackend(conditions: readonly string[] | undefined): Backend | undefined {
  const first = conditions?.[0];
  if (first === undefined || first === "") return undefined;
  return first.startsWith("-") || first.startsWith("!") ? "iptables" : "nftables";
}

export interface PortmapBackendConfig {
  readonly backend?: string;
  readonly externalSetMarkChain?: string;
  readonly conditionsV4?: readonly string[];
  readonly conditionsV6?: readonly string[];
}

/**
 * portmap's backend, or the reference's error for a conflicting or unknown backend (without the
 * `failed to parse config: ` prefix the plugin adds). Probes run only when the config leaves the
 * choice open.
 */
export async function portmapBackend(conf: PortmapBackendConfig, probes: Probes = systemProbes): Promise<Backend> {
  const specific = new Map<Backend, string[]>();
  const note = (b: Backend | undefined, option: string): void => {
    if (b !== undefined) specific.set(b, [...(specific.get(b) ?? []), option]);
  };
  if (conf.externalSetMarkChain !== undefined) note("iptables", "externalSetMarkChain");
  note(conditionsBackend(conf.conditionsV4), "conditionsV4");
  note(conditionsBackend(conf.conditionsV6), "conditionsV6");

  let backend = conf.backend;
  if (backend === undefined) {
    // tscni deviation: nft-only options pick nftables instead of failing.
    backend = specific.has("nftables") && !specific.has("iptables") ? "nftables" : await defaultBackend(probes);
  }
  // As the reference: iptables conflicts with nft options, any other name with iptables options.
  const wrong: Backend = backend === "iptables" ? "nftables" : "iptables";
  const conflicting = specific.get(wrong);
  if (conflicting !== undefined) {
    throw new CniError(
      ErrorCode.Internal,
      `${backend} backend was requested but configuration contains ${wrong}-specific options [${conflicting.join(" ")}]`,
    );
  }
  if (!isBackend(backend)) {
    throw new CniError(ErrorCode.Internal, `unrecognized backend ${goQuote(backend)}`);
  }
  return backend;
}
