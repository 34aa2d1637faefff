/**
 * The firewall half of `tscni gc`: masquerade and portmap objects of attachments that have no
 * libcni cache entry any more (a crash between ADD and the cache write, a wiped /var/lib/cni, a
 * runtime that lost track), so no DEL will ever come for them. Planned by every backend from its
 * one read of the kernel, so a dry run can say exactly what would go; applied as each backend's
 * transaction(s), each of which re-reads under the firewall lock.
 */
import { type ApplyOptions, type FirewallSnapshot, type GcItem, type GcTransaction, type NetworkKeep, planSnapshotGc } from "../firewall/index.ts";

export type { Keep, NetworkKeep } from "../firewall/index.ts";
export type FirewallGcItem = GcItem;
export type FirewallGcPlan = GcTransaction;

/**
 * What to free. `keepIds` is every container ID still in use on any network (objects that name
 * no network, like nft portmap rules, carry nothing else); undefined leaves those alone.
 */
export function planFirewallGc(snap: FirewallSnapshot, networks: readonly NetworkKeep[], keepIds?: ReadonlySet<string>): FirewallGcPlan {
  return planSnapshotGc(snap, networks, keepIds);
}

/** Applies the plan; returns each item's error, if its transaction failed. */
export function applyFirewallGc(plan: FirewallGcPlan, opts: ApplyOptions = {}): Promise<Map<FirewallGcItem, string>> {
  return plan.apply(opts);
}
