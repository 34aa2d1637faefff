/**
 * An inventory of the per-attachment firewall objects the bridge (ipMasq) and portmap plugins
 * leave in the kernel — tscni's and the reference's alike, since both use the same names — for
 * the operator tools (`tscni doctor`, `tscni gc`): every registered backend's read, side by side,
 * in backend-neutral terms. A node without a backend's tool simply has none of its objects.
 */
import type { ApplyOptions } from "./apply.ts";
import type { DuplicateRule, FirewallEntry, FirewallView, GcItem, GcTransaction, NetworkKeep } from "./backend.ts";
import { allBackends, loadedBackend } from "./backends.ts";

export interface FirewallSnapshot {
  /** One read per backend, in registry order. */
  readonly views: readonly FirewallView[];
}

/** Every backend's objects, read once each; never throws (what cannot be read is a view's problem). */
export async function readFirewall(opts: ApplyOptions = {}): Promise<FirewallSnapshot> {
  const views: FirewallView[] = [];
  for (const b of await allBackends()) views.push(await b.read(opts));
  return { views };
}

export const snapshotProblems = (s: FirewallSnapshot): string[] => s.views.flatMap((v) => v.problems);
export const snapshotDuplicates = (s: FirewallSnapshot): DuplicateRule[] => s.views.flatMap((v) => v.duplicates);
export const snapshotForeign = (s: FirewallSnapshot): string[] => s.views.flatMap((v) => v.foreign);

/**
 * GC over every backend's read: items in the order of `networks` ("*", objects naming no network,
 * last), each backend's transaction applied in turn.
 */
export function planSnapshotGc(s: FirewallSnapshot, networks: readonly NetworkKeep[], keepIds?: ReadonlySet<string>): GcTransaction {
  const parts = s.views.map((v) => v.planGc(networks, keepIds));
  const rank = (i: GcItem): number => {
    const n = networks.findIndex((k) => k.network === i.network);
    return n < 0 ? networks.length : n;
  };
  return {
    items: parts.flatMap((p) => p.items).sort((a, b) => rank(a) - rank(b)),
    async apply(opts = {}) {
      const failed = new Map<GcItem, string>();
      for (const p of parts) for (const [i, e] of await p.apply(opts)) failed.set(i, e);
      return failed;
    },
  };
}

/** One line for people naming an entry, in its backend's words (the backend is loaded: a read found the entry). */
export function describeEntry(e: Pick<FirewallEntry, "backend" | "kind" | "where" | "key">, containerId: string): string {
  return loadedBackend(e.backend)?.describe(e, containerId) ?? `${e.backend} ${e.kind} ${e.key} (${e.where}) of ${containerId}`;
}
