/**
 * Where reservations live. The allocator and the verbs talk only to this interface; the disk
 * implementation is byte-compatible with the reference, the memory one serves unit tests.
 */
import { goTrim } from "./go-text.ts";

/** The separator between container ID and ifname inside a reservation file (a reference quirk). */
export const LINE_BREAK = "\r\n";
export const LAST_RESERVED_PREFIX = "last_reserved_ip.";
export const LOCK_NAME = "lock";

/** One reservation: `ifname` undefined marks a legacy file holding only the container ID. */
export interface Reservation {
  ip: string;
  containerId: string;
  ifname?: string;
}

export interface Store {
  /** Exclusive lock over the whole network's state; dispose to release. */
  lock(): Promise<Disposable>;
  /** Creates the reservation for `ip` if it is free and records it as range set `rangeId`'s last. */
  reserve(containerId: string, ifname: string, ip: string, rangeId: string): boolean;
  /** Raw `last_reserved_ip.<rangeId>` content, undefined when absent or unreadable. */
  lastReservedIP(rangeId: string): string | undefined;
  /** IPs held by (containerId, ifname), and by the bare containerId in legacy files. */
  getByID(containerId: string, ifname: string): string[];
  /** Whether (containerId, ifname), or failing that the bare containerId, holds anything. */
  findByID(containerId: string, ifname: string): boolean;
  /** Releases every IP of (containerId, ifname); if none, those of legacy bare-ID files. */
  releaseByID(containerId: string, ifname: string): void;
  /** Every reservation file, for GC and STATUS. */
  reservations(): Reservation[];
  /** Removes the reservation of one IP (GC). */
  release(ip: string): void;
}

export const reservationKey = (containerId: string, ifname: string): string =>
  `${goTrim(containerId)}${LINE_BREAK}${ifname}`;

/** File content → reservation owner (content is compared after trimming, like the reference). */
export function parseReservation(ip: string, content: string): Reservation {
  const text = goTrim(content);
  const at = text.indexOf(LINE_BREAK);
  if (at < 0) return { ip, containerId: text };
  return { ip, containerId: text.slice(0, at), ifname: text.slice(at + LINE_BREAK.length) };
}

/** Names in a network directory that are bookkeeping, never reservations. */
export function isBookkeeping(name: string): boolean {
  return name === LOCK_NAME || name.startsWith(LAST_RESERVED_PREFIX);
}
