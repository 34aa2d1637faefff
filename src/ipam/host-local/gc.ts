/** Pure selection logic for GC and STATUS, kept apart from the store so it is unit-testable. */
import type { Attachment } from "../../cni/gc.ts";
import { goTrim } from "./go-text.ts";
import { equalIP, parseIP, toBigInt } from "../../ip/index.ts";
import { rangeContains, type RangeSet } from "./range.ts";
import { ownerKey, type Reservation } from "./store.ts";

/**
 * Reservations no valid attachment owns. A new-format file is kept when its exact
 * (containerID, ifname) is listed; a legacy ID-only file when its container ID is listed at all.
 */
export function staleReservations(reservations: readonly Reservation[], valid: readonly Attachment[]): Reservation[] {
  const pairs = new Set(valid.map((a) => ownerKey(goTrim(a.containerID), a.ifname)));
  const ids = new Set(valid.map((a) => goTrim(a.containerID)));
  return reservations.filter((r) => (r.ifname === undefined ? !ids.has(r.containerId) : !pairs.has(ownerKey(r.containerId, r.ifname))));
}

/** Indices of range sets in which no allocatable address is left. */
export function exhaustedSets(sets: readonly RangeSet[], reservations: readonly Reservation[]): number[] {
  const taken = reservations.map((r) => parseIP(r.ip)).filter((ip) => ip !== undefined);
  const out: number[] = [];
  sets.forEach((set, i) => {
    const free = set.some((range) => {
      let size = toBigInt(range.rangeEnd) - toBigInt(range.rangeStart) + 1n;
      const gw = range.gateway;
      if (rangeContains(range, gw)) size -= 1n;
      const used = taken.filter((ip) => rangeContains(range, ip) && !equalIP(ip, gw)).length;
      return BigInt(used) < size;
    });
    if (!free) out.push(i);
  });
  return out;
}

