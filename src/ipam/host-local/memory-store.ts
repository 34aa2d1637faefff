/** An in-memory Store with the disk store's matching rules, for unit tests and dry runs. */
import { goTrim } from "./go-text.ts";
import { parseReservation, type Reservation, reservationKey, type Store } from "./store.ts";

export class MemoryStore implements Store {
  /** ip → raw file content */
  readonly files = new Map<string, string>();
  /** range id → raw last_reserved_ip content */
  readonly last = new Map<string, string>();
  locked = false;

  constructor(init: { files?: Record<string, string>; last?: Record<string, string> } = {}) {
    for (const [k, v] of Object.entries(init.files ?? {})) this.files.set(k, v);
    for (const [k, v] of Object.entries(init.last ?? {})) this.last.set(k, v);
  }

  lock(): Promise<Disposable> {
    if (this.locked) return Promise.reject(new Error("MemoryStore: lock is not reentrant"));
    this.locked = true;
    return Promise.resolve({ [Symbol.dispose]: () => void (this.locked = false) });
  }

  reserve(containerId: string, ifname: string, ip: string, rangeId: string): boolean {
    if (this.files.has(ip)) return false;
    this.files.set(ip, reservationKey(containerId, ifname));
    this.last.set(rangeId, ip);
    return true;
  }

  lastReservedIP(rangeId: string): string | undefined {
    return this.last.get(rangeId);
  }

  getByID(containerId: string, ifname: string): string[] {
    const match = reservationKey(containerId, ifname);
    const legacy = goTrim(containerId);
    return [...this.sorted()].filter(([, c]) => goTrim(c) === match || goTrim(c) === legacy).map(([ip]) => ip);
  }

  findByID(containerId: string, ifname: string): boolean {
    return this.getByID(containerId, ifname).length > 0;
  }

  releaseByID(containerId: string, ifname: string): void {
    const drop = (key: string): boolean => {
      let any = false;
      for (const [ip, c] of this.sorted()) {
        if (goTrim(c) === key) {
          this.files.delete(ip);
          any = true;
        }
      }
      return any;
    };
    if (!drop(reservationKey(containerId, ifname))) drop(goTrim(containerId));
  }

  reservations(): Reservation[] {
    return [...this.sorted()].map(([ip, c]) => parseReservation(ip, c));
  }

  release(ip: string): void {
    this.files.delete(ip);
  }

  private sorted(): [string, string][] {
    return [...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
