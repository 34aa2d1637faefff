/**
 * The one answer to "does nf_tables netlink carry this call?", for every reader and writer of the
 * firewall (apply.ts, the backends' probes). Netlink is used unless a fake tool runner stands in
 * for the system (unit tests: the whole firewall then goes through it), TSCNI_FIREWALL_NETLINK=0
 * turns it off, an iptables family involved is the legacy flavour (its tables are not nf_tables),
 * or this process cannot open an nf_tables session (asked once per process, by netlink.ts). The
 * module is loaded on first use, so plugins that never touch the firewall do not pay for it.
 */
import { resolveIptables, spawnTool, type ToolRunner } from "./exec.ts";
import type { Family } from "./model.ts";

export type NetlinkTransport = typeof import("./netlink.ts");

/** What a caller passes down (ApplyOptions): its tool runner, or a stand-in for nf_tables netlink. */
export interface TransportChoice {
  /** A fake tool runner (unit tests): the whole firewall then goes through it, never netlink. */
  readonly run?: ToolRunner;
  /** A stand-in for nf_tables netlink (unit tests: an in-memory kernel): every netlink call goes to it. */
  readonly transport?: NetlinkTransport;
  /**
   * DEL and GC in a process without the iptables tool (the agent's image): a family with no tool
   * counts as nf_tables, since only iptables-nft's rules can be found there (iptables-legacy's are
   * not in nf_tables) and removing them needs no tool. ADD never sets it: it fails as v1.9.1 does.
   */
  readonly removalWithoutTool?: boolean;
}

/** `families`: the iptables families the call touches. */
export async function netlinkTransport(opts: TransportChoice = {}, families: readonly Family[] = []): Promise<NetlinkTransport | undefined> {
  if (opts.transport !== undefined) return opts.transport;
  const run = opts.run;
  if ((run !== undefined && run !== spawnTool) || process.env.TSCNI_FIREWALL_NETLINK === "0") return undefined;
  const flavour = (f: Family) => resolveIptables(f)?.flavour ?? (opts.removalWithoutTool === true ? "nft" : undefined);
  for (const f of families) if (flavour(f) !== "nft") return undefined;
  const nl = await import("./netlink.ts");
  return nl.nftSession() === null ? undefined : nl;
}
