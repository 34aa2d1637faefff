/**
 * kubenet's outbound masquerade, the agent's one call into src/firewall, through the backend seam
 * like the plugins' (want "node-masquerade", planned in src/firewall/node-masq.ts): traffic from
 * this node's pod CIDRs to anything outside the cluster's pod CIDRs leaves with the node's
 * address; traffic between pods (any node) keeps its source. With the iptables tool the iptables
 * backend writes it (one chain per family); without it (the DaemonSet's image ships none) the
 * nftables backend writes the agent's own table over nf_tables netlink, no nft binary needed.
 */
import { findBackend, NODE_MASQ_NFT_TABLE, type NodeMasquerade, resolveIptables } from "../firewall/index.ts";

export type MasqueradeWant = NodeMasquerade;
/** The backend that writes it, by its config name. */
export type MasqueradeBy = "iptables" | "nftables";

export const AGENT_NFT_TABLE = NODE_MASQ_NFT_TABLE;

/** nf_tables is not there to speak to (and no nft binary either): the caller falls back. */
export const NO_NFTABLES = /failed to locate nft/;

/**
 * Whether this process can write the rules with the iptables tool (on its PATH). Without it the
 * agent masquerades over nf_tables, or leaves it to the bridge (ipMasq) where there is none.
 */
export function canMasquerade(): boolean {
  return resolveIptables(4) !== null;
}

/** Runs one call of the backend; its failures as lines (the iptables backend says one per family). */
async function failures(by: MasqueradeBy, what: string, fn: (b: NonNullable<Awaited<ReturnType<typeof findBackend>>>) => Promise<void>): Promise<string[]> {
  try {
    const b = await findBackend(by);
    if (b === undefined) throw new Error(`no ${by} backend`);
    await fn(b);
    return [];
  } catch (e) {
    const msg = (e as Error).message;
    return by === "iptables" ? msg.split("\n") : [`nft ${what}: ${msg}`];
  }
}

/** Applies the masquerade; returns one message per failure (empty: all done). */
export function syncMasquerade(want: MasqueradeWant, by: MasqueradeBy): Promise<string[]> {
  return failures(by, "masquerade", (b) => b.apply({ kind: "node-masquerade", want }));
}

/** Removes it (uninstall); a node without nf_tables has no table to remove. */
export async function removeMasquerade(by: MasqueradeBy): Promise<string[]> {
  const failed = await failures(by, "masquerade removal", (b) => b.removeOwned({ kind: "node-masquerade" }));
  return failed.filter((f) => !(by === "nftables" && NO_NFTABLES.test(f)));
}
