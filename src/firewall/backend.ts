/**
 * The one interface every firewall user goes through (bridge's ipMasq via masq.ts, portmap, GC).
 * An implementation lays the rules out as the reference's backend of the same name does, plans
 * them as data against what it reads, and writes each call as one transaction; which transport
 * carries it (nf_tables netlink, `iptables-restore`, `nft -f -`) is its own business (apply.ts).
 * A new backend is one file implementing this and one line in backends.ts.
 */
import type { ApplyOptions } from "./apply.ts";
import type { AttachmentRef, MasqRequest, PortmapRequest } from "./plans-types.ts";
import type { FirewallSnapshot } from "./scan.ts";

/** What one attachment needs: bridge ipMasq, or portmap's forwarding (one request per family). */
export type Want =
  | { readonly kind: "masquerade"; readonly req: MasqRequest }
  | { readonly kind: "portmap"; readonly reqs: readonly PortmapRequest[] };

/** Whose objects to delete, found by the names and comments the reference gives them. */
export type Owner =
  | { readonly kind: "masquerade"; readonly ref: AttachmentRef }
  | { readonly kind: "portmap"; readonly ref: Pick<AttachmentRef, "network" | "containerId"> };

/** GC: the objects of `network` whose owner is not among the attachments still in use. */
export type Stale =
  | { readonly kind: "masquerade"; readonly network: string; readonly valid: readonly Pick<AttachmentRef, "containerId" | "ifname">[] }
  | { readonly kind: "portmap"; readonly network: string; readonly validContainerIds: readonly string[] };

export interface FirewallBackend {
  readonly name: string;
  /**
   * One read of what this backend holds of the plugins' objects, for the operator tools (its part
   * of the snapshot; what it cannot read goes to `problems`). Never throws.
   */
  snapshot(opts?: ApplyOptions): Promise<Partial<FirewallSnapshot>>;
  /** Plans what `want` needs against one read of the kernel and writes it as one transaction. */
  apply(want: Want, opts?: ApplyOptions): Promise<void>;
  /** CHECK: throws the reference's message for the first thing `want` needs that is missing. */
  check(want: Want, opts?: ApplyOptions): Promise<void>;
  /**
   * Deletes everything `owner` has in this backend; nothing when there is nothing. Throws only
   * what the reference would report (a backend that is not usable here cannot hold rules).
   */
  removeOwned(owner: Owner, opts?: ApplyOptions): Promise<void>;
  /** GC: deletes the objects `stale` names, in one read and one transaction per call. */
  removeStale(stale: Stale, opts?: ApplyOptions): Promise<void>;
}
