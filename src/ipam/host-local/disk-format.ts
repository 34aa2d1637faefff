/**
 * The reference's file format inside `<dataDir>/<network>/`, known here and nowhere else:
 * a reservation is a file named by the IP holding `<containerID>\r\n<ifname>` (a bare container ID
 * in files older plugins wrote), `last_reserved_ip.<rangeSet>` holds the last IP handed out, and
 * `lock` is the flock(2) target.
 */
import { goTrim } from "./go-text.ts";
import type { Reservation } from "./store.ts";

/** The separator between container ID and ifname inside a reservation file (a reference quirk). */
const LINE_BREAK = "\r\n";
export const LAST_RESERVED_PREFIX = "last_reserved_ip.";
export const LOCK_NAME = "lock";

/** What a reservation file of (containerId, ifname) holds. */
export const reservationText = (containerId: string, ifname: string): string => `${goTrim(containerId)}${LINE_BREAK}${ifname}`;

/** What an owner's file holds once trimmed, as the reference compares it; legacy owners have no ifname. */
export const ownerText = (containerId: string, ifname: string | undefined): string =>
  ifname === undefined ? goTrim(containerId) : reservationText(containerId, ifname);

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

/**
 * Where a reservation is written before it is linked into place: not an address, so never listed
 * as a reservation, yet holding its owner's text, so a DEL's walk removes one a crash left behind.
 */
export const scratchName = (ip: string): string => `.${ip}.new`;

export const isScratchName = (name: string): boolean => name.startsWith(".") && name.endsWith(".new");
