/**
 * How nf_tables work waits out other writers. kube-proxy, Docker, firewalld, iptables-nft and other
 * CNI plugins commit to the same ruleset at any moment; every such commit bumps the generation, which
 * invalidates a read in progress and makes the kernel refuse a batch planned from an older one
 * (ERESTART). Neither is an error: re-read, re-plan, try again. What bounds the retries is time,
 * not a count — a burst of writers can pass many generations in a few milliseconds — with a
 * short jittered pause: tscni's own calls are serialised by its firewall lock, so what collides is a
 * foreign writer, and a long pause only gives the next foreign commit its chance (capped at 64 ms,
 * the contention stress test timed out at 180 s; at 4 ms it passes in about 100 s).
 */
import { Errno } from "../../sys/index.ts";
import { NetlinkError, NetlinkGaveUp } from "../errors.ts";

/** How long a call keeps re-planning against a ruleset other writers keep changing. */
export const BUSY_BUDGET_MS = 15_000;
const FIRST_PAUSE_MS = 1;
const LONGEST_PAUSE_MS = 4;

/** Errnos that say "someone else is writing right now", not "this change is wrong". */
const TRANSIENT = new Set<number>([Errno.EAGAIN, Errno.EBUSY, Errno.EINTR, Errno.ENOBUFS]);

/** A read or batch that must be redone against the ruleset's new generation. */
export class GenerationMoved extends Error {
  constructor(readonly what: string) {
    super(what);
  }
}

export function isTransient(err: unknown): boolean {
  return err instanceof GenerationMoved || (err instanceof NetlinkError && !(err instanceof NetlinkGaveUp) && TRANSIENT.has(err.errno));
}

function reason(err: unknown): string {
  if (err instanceof GenerationMoved) return err.what;
  if (err instanceof NetlinkError) return `${err.op}: ${err.errnoName}${err.extack ? ` (${err.extack})` : ""}`;
  return String(err);
}

/**
 * Runs `attempt` until it returns, retrying transient failures with jittered backoff until
 * `budgetMs` has passed; then fails with a message naming how long, how often and the last cause.
 */
export function whileBusy<T>(op: string, attempt: () => T, budgetMs = BUSY_BUDGET_MS): T {
  const start = Date.now();
  let pause = FIRST_PAUSE_MS;
  for (let tries = 1; ; tries++) {
    try {
      return attempt();
    } catch (err) {
      if (!isTransient(err)) throw err;
      const spent = Date.now() - start;
      if (spent >= budgetMs) {
        const errno = err instanceof NetlinkError ? err.errno : Errno.EAGAIN;
        const why = `the nf_tables ruleset stayed busy for ${(spent / 1000).toFixed(1)} s (${tries} attempts; other writers kept changing it; last: ${reason(err)})`;
        throw new NetlinkGaveUp(op, errno, why, 0);
      }
      Bun.sleepSync(Math.min(pause * (0.5 + Math.random()), budgetMs - spent));
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    }
  }
}
