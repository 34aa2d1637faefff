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

/** `run`: the caller's tool runner (undefined or spawnTool: the system); `families`: iptables families the call touches. */
export async function netlinkTransport(run: ToolRunner | undefined, families: readonly Family[] = []): Promise<NetlinkTransport | undefined> {
  if ((run !== undefined && run !== spawnTool) || process.env.TSCNI_FIREWALL_NETLINK === "0") return undefined;
  if (families.some((f) => resolveIptables(f)?.flavour !== "nft")) return undefined;
  const nl = await import("./netlink.ts");
  return nl.nftSession() === null ? undefined : nl;
}
