/**
 * `tscni gc`'s plan: everything it would free, computed once from one look at the node and
 * changed by nothing. The dry run prints it; `--apply` prints the same and executes exactly it.
 *
 * Per network, in this order (each step knows what the earlier ones keep):
 * 1. cached attachments not in use: DEL through their chain, unless younger than the grace
 *    period (cache entry or reservation); the DEL also removes their rules and reservations;
 * 2. host-local reservations owned by nothing in use: released, unless younger than the grace;
 * 3. firewall objects of attachments kept by nothing: removed, unless their age cannot be proven
 *    (see gc-evidence.ts).
 */
import type { Attachment } from "../cni/index.ts";
import { type FirewallSnapshot, keyedByContainerOnly } from "../firewall/index.ts";
import { type Reservation, type Store, staleReservations } from "../ipam/index.ts";
import { type CachedAttachment, type NetworkList, resultsDir } from "../runtime/index.ts";
import { type FirewallGcItem, type FirewallGcPlan, type Keep, planFirewallGc } from "./firewall-gc.ts";
import { ageSeconds, lastChange, mtimeMs } from "./gc-evidence.ts";
import type { PluginDescription } from "../container/index.ts";
import { hostLocalStores } from "./gc-ipam.ts";
import type { GcAction } from "./gc-output.ts";

export interface PlanInput {
  lists: readonly NetworkList[];
  /** Each list's description by network name (gc-ipam.ts's describeLists). */
  descriptions: ReadonlyMap<string, PluginDescription>;
  cached: readonly CachedAttachment[];
  cacheDir: string;
  /** The attachments in use on a network. */
  valid(list: NetworkList, mine: readonly CachedAttachment[]): Attachment[];
  snapshot?: FirewallSnapshot;
  graceSeconds: number;
  now: number;
}

export interface GcPlan {
  /** Everything, in the order printed. */
  actions: GcAction[];
  dels: { action: GcAction; list: NetworkList; attachment: CachedAttachment }[];
  releases: { action: GcAction; store: Store; reservation: Reservation }[];
  firewall?: { plan: FirewallGcPlan; actions: Map<FirewallGcItem, GcAction> };
}

interface NetworkState {
  list: NetworkList;
  keep: Keep[];
  /** Container IDs whose old reservations this plan releases: their rules are old too. */
  released: Set<string>;
  /** Where removing a reservation or cache entry of this network leaves a trace. */
  traceDirs: string[];
}

const owns = (r: Reservation, cid: string, ifname: string): boolean => r.containerId === cid && (r.ifname === undefined || r.ifname === ifname);

function planNetwork(p: PlanInput, list: NetworkList, plan: GcPlan): NetworkState {
  const grace = p.graceSeconds * 1000;
  const stores = hostLocalStores(list, p.descriptions.get(list.name));
  const held = stores.flatMap((store) => store.reservations().map((reservation) => ({ store, reservation })));
  // A reservation whose write time the store cannot tell is as young as can be.
  const reservedAt = (r: Reservation): number => r.reservedAtMs ?? p.now;
  const mine = p.cached.filter((a) => a.network === list.name);
  const valid = p.valid(list, mine);
  const s: NetworkState = {
    list,
    keep: valid.map((v) => ({ containerId: v.containerID, ifname: v.ifname })),
    released: new Set(),
    traceDirs: [...stores.map((st) => st.dir), resultsDir(p.cacheDir)],
  };
  const inUse = (cid: string, ifname: string): boolean => valid.some((v) => v.containerID === cid && (v.ifname === "" || v.ifname === ifname));
  const covered = new Set<Reservation>();

  for (const a of mine) {
    if (inUse(a.containerId, a.ifname)) continue;
    const theirs = held.filter((h) => owns(h.reservation, a.containerId, a.ifname)).map((h) => h.reservation);
    for (const r of theirs) covered.add(r);
    // The attachment stays either way as far as its rules go: kept, or its DEL removes them.
    s.keep.push({ containerId: a.containerId, ifname: a.ifname });
    const youngest = Math.max(mtimeMs(a.file) ?? p.now, ...theirs.map(reservedAt));
    const base = { network: list.name, containerId: a.containerId, ifname: a.ifname, ageSeconds: ageSeconds(p.now, youngest), done: false };
    if (p.now - youngest < grace) {
      plan.actions.push({ ...base, kind: "keep-young", evidence: "cache entry or reservation written" });
      continue;
    }
    const action: GcAction = { ...base, kind: "del-attachment" };
    plan.actions.push(action);
    plan.dels.push({ action, list, attachment: a });
  }

  const exact = valid.filter((v) => v.ifname !== "");
  const byId = new Set(valid.filter((v) => v.ifname === "").map((v) => v.containerID));
  const stale = new Set(staleReservations(held.map((h) => h.reservation), exact).filter((r) => !byId.has(r.containerId)));
  for (const { store, reservation } of held) {
    if (!stale.has(reservation) || covered.has(reservation)) continue;
    const { containerId, ifname, ip } = reservation;
    const base = { network: list.name, containerId, ifname, ip, ageSeconds: ageSeconds(p.now, reservedAt(reservation)), done: false };
    if (p.now - reservedAt(reservation) < grace) {
      s.keep.push({ containerId, ifname: ifname ?? "" });
      plan.actions.push({ ...base, kind: "keep-young", evidence: "reserved" });
      continue;
    }
    const action: GcAction = { ...base, kind: "release-ip" };
    s.released.add(containerId);
    plan.actions.push(action);
    plan.releases.push({ action, store, reservation });
  }
  return s;
}

function firewallAction(i: FirewallGcItem, kind: GcAction["kind"], extra: Partial<GcAction> = {}): GcAction {
  const firewall = { backend: i.entry.backend, kind: i.entry.kind, where: i.entry.where, name: i.entry.key };
  return { network: i.network, kind, containerId: i.containerId, firewall, done: false, ...extra };
}

/** Firewall objects whose attachment's age cannot be proven older than the grace are kept. */
function planFirewall(p: PlanInput, snap: FirewallSnapshot, nets: readonly NetworkState[], plan: GcPlan): void {
  const withPortmap = nets.filter((n) => p.descriptions.get(n.list.name)?.firewall.some(keyedByContainerOnly) === true);
  const portmapKeep = withPortmap.length > 0 ? new Set([...nets.flatMap((n) => n.keep.map((k) => k.containerId)), ...p.cached.map((a) => a.containerId)]) : undefined;
  const traceOf = (network: string): number | undefined =>
    lastChange(network === "*" ? [...new Set(withPortmap.flatMap((n) => n.traceDirs))] : (nets.find((n) => n.list.name === network)?.traceDirs ?? []));
  const releasedBy = (network: string, cid: string): boolean =>
    nets.some((n) => (network === "*" || n.list.name === network) && n.released.has(cid));

  const first = planFirewallGc(snap, nets.map((n) => ({ network: n.list.name, keep: n.keep })), portmapKeep);
  const young: GcAction[] = [];
  for (const i of first.items) {
    if (releasedBy(i.network, i.containerId)) continue;
    const trace = traceOf(i.network);
    if (trace !== undefined && p.now - trace >= p.graceSeconds * 1000) continue;
    const evidence = trace === undefined ? "no state to date it by; treated as" : "state of its network last changed";
    young.push(firewallAction(i, "keep-young", { ageSeconds: trace === undefined ? 0 : ageSeconds(p.now, trace), evidence }));
    if (i.network === "*") portmapKeep?.add(i.containerId);
    else nets.find((n) => n.list.name === i.network)?.keep.push({ containerId: i.containerId, ifname: "" });
  }
  const final = young.length === 0 ? first : planFirewallGc(snap, nets.map((n) => ({ network: n.list.name, keep: n.keep })), portmapKeep);
  const actions = new Map(final.items.map((i) => [i, firewallAction(i, "remove-firewall")]));
  plan.actions.push(...young, ...actions.values());
  plan.firewall = { plan: final, actions };
}

export function planGc(p: PlanInput): GcPlan {
  const plan: GcPlan = { actions: [], dels: [], releases: [] };
  const nets = p.lists.map((list) => planNetwork(p, list, plan));
  if (p.snapshot !== undefined) planFirewall(p, p.snapshot, nets, plan);
  return plan;
}

