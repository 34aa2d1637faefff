/**
 * Where reservations live. The allocator, the verbs and the operator CLI (gc, doctor) talk only
 * to this interface, always under `lock()` when they change something; how reservations are
 * written down is the implementation's business (disk-store.ts, byte-compatible with the
 * reference).
 */

/** One reservation: `ifname` undefined marks a legacy reservation holding only the container ID. */
export interface Reservation {
  /** The address, as the store names it. */
  ip: string;
  containerId: string;
  ifname?: string;
  /** When it was written (ms since the epoch), where the store knows: a grace period needs it. */
  reservedAtMs?: number;
}

export interface Store {
  /** Exclusive lock over the whole network's state; dispose to release. */
  lock(): Promise<Disposable>;
  /** Creates the reservation for `ip` if it is free and records it as range set `rangeId`'s last. */
  reserve(containerId: string, ifname: string, ip: string, rangeId: string): boolean;
  /** Raw `last_reserved_ip.<rangeId>` content, undefined when absent or unreadable. */
  lastReservedIP(rangeId: string): string | undefined;
  /** IPs (canonical text) held by (containerId, ifname), and by the bare containerId in legacy reservations. */
  getByID(containerId: string, ifname: string): string[];
  /** Whether (containerId, ifname), or failing that the bare containerId, holds anything. */
  findByID(containerId: string, ifname: string): boolean;
  /** Releases every IP of (containerId, ifname); if none, those of legacy bare-ID reservations. */
  releaseByID(containerId: string, ifname: string): void;
  /** Every reservation in the network, in name order, for GC, STATUS and doctor. */
  reservations(): Reservation[];
  /**
   * Releases `r.ip` only while it still holds `r`: the same owner and, when `r` carries a time,
   * the same write. False when it was freed or taken again since `r` was read.
   */
  release(r: Reservation): boolean;
}

/** The identity of an attachment's reservation, for set lookups (no storage format implied). */
export const ownerKey = (containerId: string, ifname: string | undefined): string => JSON.stringify([containerId, ifname ?? null]);
