/**
 * One address per range set, in the reference's order so both hand out the same addresses from
 * the same files: a requested IP if one falls in the set, otherwise round robin resumed after
 * `last_reserved_ip.<N>`, skipping each range's gateway.
 * The caller holds the store's lock.
 */
import type { IpConfig } from "../../cni/result.ts";
import { type Addr, cidrText, equalIP, ipString, nextIP, parseIP } from "../../ip/index.ts";
import * as plain from "../../plain-array.ts";
import { type Range, rangeContains, rangeFor, type RangeSet, rangeSetContains, rangeSetString } from "./range.ts";
import type { Store } from "./store.ts";

/** A candidate address together with the range it came from. */
export interface Candidate {
  ip: Addr;
  range: Range;
}

/**
 * The reference's iterator: starts after the last reserved IP when that lies in the set (else at
 * the first range's start), moves to the next range's start at each range end, cycles across the
 * set and stops once it is back at its first candidate. Gateways are skipped. An iterator object,
 * not a generator: JSC compiles its generator machinery from source on a process's first
 * generator (~0.2 M instructions per exec; docs/performance.md).
 */
export function candidates(set: RangeSet, lastReserved: Addr | undefined): IterableIterator<Candidate> {
  let idx = 0;
  let cur: Addr | undefined;
  if (lastReserved !== undefined && rangeSetContains(set, lastReserved)) {
    idx = plain.findIndex(set, (r) => rangeContains(r, lastReserved));
    cur = lastReserved;
  }
  let start: Addr | undefined;
  let done = set.length === 0;
  const next = (): IteratorResult<Candidate> => {
    while (!done) {
      let r = set[idx]!;
      if (cur === undefined) {
        cur = r.rangeStart;
        start = cur;
      } else {
        if (equalIP(cur, r.rangeEnd)) {
          idx = (idx + 1) % set.length;
          r = set[idx]!;
          cur = r.rangeStart;
        } else {
          cur = nextIP(cur);
        }
        if (start === undefined) start = cur;
        else if (equalIP(cur, start)) break;
      }
      if (!equalIP(cur, r.gateway)) return { done: false, value: { ip: cur, range: r } };
    }
    done = true;
    return { done: true, value: undefined };
  };
  return { next, [Symbol.iterator]: function () { return this; } };
}

function toIpConfig(c: Candidate): IpConfig {
  return { address: cidrText(c.ip, c.range.subnet.prefix), gateway: ipString(c.range.gateway) };
}

/**
 * Reserves one address of range set `index` for (containerId, ifname). `held` gives what the
 * attachment already holds (the duplicate check); by default the store is asked.
 */
export function allocateFromSet(
  store: Store,
  set: RangeSet,
  index: number,
  containerId: string,
  ifname: string,
  requested: Addr | undefined,
  held: () => readonly string[] = () => store.getByID(containerId, ifname),
): IpConfig {
  const rangeId = String(index);
  if (requested !== undefined) {
    const r = rangeFor(set, requested);
    if (r === undefined) throw new Error(`${ipString(requested)} not in range set ${rangeSetString(set)}`);
    if (equalIP(requested, r.gateway)) throw new Error(`requested ip ${ipString(requested)} is subnet's gateway`);
    if (!store.reserve(containerId, ifname, ipString(requested), rangeId)) {
      throw new Error(
        `requested IP address ${ipString(requested)} is not available in range set ${rangeSetString(set)}`,
      );
    }
    return toIpConfig({ ip: requested, range: r });
  }

  for (const text of held()) {
    const ip = parseIP(text);
    if (ip !== undefined && rangeSetContains(set, ip)) {
      throw new Error(`${text} has been allocated to ${containerId}, duplicate allocation is not allowed`);
    }
  }

  const lastText = store.lastReservedIP(rangeId);
  const last = lastText === undefined ? undefined : parseIP(lastText);
  for (const c of candidates(set, last)) {
    if (store.reserve(containerId, ifname, ipString(c.ip), rangeId)) return toIpConfig(c);
  }
  throw new Error(`no IP addresses available in range set: ${rangeSetString(set)}`);
}

/**
 * ADD's allocation over every range set. On any failure, what this call reserved is released,
 * and only that: the reference releases everything the (containerId, ifname) holds, which frees a
 * live attachment's address when a retried ADD fails on its duplicate check.
 */
export function allocateAll(
  store: Store,
  sets: readonly RangeSet[],
  containerId: string,
  ifname: string,
  requestedIPs: readonly Addr[],
): IpConfig[] {
  const pending = [...requestedIPs];
  const ips: IpConfig[] = [];
  // The reference asks the store once per range set; once is enough: what this call reserves in
  // one set cannot lie in another (configs with overlapping sets are refused), and nothing else
  // writes while the lock is held. One walk of the directory however many sets (dual stack).
  let heldBefore: readonly string[] | undefined;
  const held = (): readonly string[] => (heldBefore ??= store.getByID(containerId, ifname));
  const undo = (): void => {
    for (const ip of ips) store.release({ ip: ip.address.slice(0, ip.address.lastIndexOf("/")), containerId, ifname });
  };
  for (let idx = 0; idx < sets.length; idx++) {
    const set = sets[idx]!;
    const at = plain.findIndex(pending, (ip) => rangeSetContains(set, ip));
    const requested = at >= 0 ? pending.splice(at, 1)[0] : undefined;
    try {
      ips.push(allocateFromSet(store, set, idx, containerId, ifname, requested, held));
    } catch (err) {
      undo();
      throw new Error(`failed to allocate for range ${idx}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }
  if (pending.length > 0) {
    undo();
    throw new Error(`failed to allocate all requested IPs: ${plain.map(pending, (ip) => ipString(ip)).join(" ")}`);
  }
  return ips;
}
