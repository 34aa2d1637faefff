/**
 * The runtime's side of the spec's rule that GC never runs concurrently with ADD or DEL
 * (reference/checklist.md §1.13, §1.15): attachment calls share the gate, a GC holds it alone and
 * reads its valid list only once it does. Without it an ADD that starts after the list was read
 * can land inside the GC and have its live address released (test/differential/chain-mode-gc-race).
 * A waiting GC keeps new calls out, so twenty busy workers cannot starve it.
 */
export class GcGate {
  private calls = 0;
  private gcHeld = false;
  private readonly gcQueue: (() => void)[] = [];
  private readonly callQueue: (() => void)[] = [];
  /** Called each time an attachment call has to wait for a GC (tests use it to order steps). */
  onParked: () => void = () => {};

  /** An ADD, CHECK or DEL: runs alongside others, never alongside a GC. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.gcHeld || this.gcQueue.length > 0) {
      const admitted = new Promise<void>((r) => this.callQueue.push(r));
      this.onParked();
      await admitted;
    } else this.calls++;
    try {
      return await fn();
    } finally {
      this.calls--;
      this.next();
    }
  }

  /** A GC: waits for the calls in flight, keeps new ones out until it ends. */
  async gc<T>(fn: () => Promise<T>): Promise<T> {
    if (this.gcHeld || this.calls > 0) await new Promise<void>((r) => this.gcQueue.push(r));
    else this.gcHeld = true;
    try {
      return await fn();
    } finally {
      this.gcHeld = false;
      this.next();
    }
  }

  /** Hands the gate on: to a waiting GC once no call is in flight, else to every waiting call. */
  private next(): void {
    if (this.gcHeld) return;
    if (this.gcQueue.length > 0) {
      if (this.calls > 0) return;
      this.gcHeld = true;
      this.gcQueue.shift()?.();
      return;
    }
    for (const admit of this.callQueue.splice(0)) {
      this.calls++;
      admit();
    }
  }
}
