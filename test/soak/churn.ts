/**
 * Churn: `workers` attachments at a time go through ADD → CHECK → DEL on the bridge + host-local
 * + portmap chain, alternating between the iptables and the nftables network, with a GC (valid =
 * every attachment started and not yet deleted) every `gcEvery` cycles. As the spec asks of a
 * runtime, a GC never overlaps an ADD, CHECK or DEL (gc-gate.ts). Some cycles delete the
 * container's netns before DEL, as a crashed runtime would. Afterwards every cached attachment
 * is deleted and both networks are GC'd, and the state must equal the baseline.
 */
import { tempNetns } from "../harness.ts";
import type { Runtime, RuntimeConf } from "../../src/runtime/index.ts";
import { GcGate } from "./gc-gate.ts";
import { diff, type Snapshot, snapshot } from "./invariants.ts";
import { note, type Tally, tally } from "./tally.ts";
import { attachment, type Impl, implDirs, type Net, resultIps } from "./world.ts";

export interface ChurnOptions {
  workers: number;
  cycles: number;
  deadline: number;
  gcEvery: number;
  /** With another implementation churning on the same node: which leftover lines are this one's. */
  owns?: (line: string) => boolean;
  /** Awaited before the leftovers are judged (the other implementation's churn has ended too). */
  settled?: () => Promise<void>;
}

export interface Live {
  ips: Map<string, string>;
  started: Map<string, { net: Net; rt: RuntimeConf }>;
  gate: GcGate;
}

export const newLive = (): Live => ({ ips: new Map(), started: new Map(), gate: new GcGate() });

async function call(t: Tally, what: string, fn: () => Promise<unknown>): Promise<unknown> {
  t.calls++;
  try {
    return await fn();
  } catch (err) {
    t.failed++;
    note(t, `${what}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** One GC per network; each valid list is read once the GC holds the gate, so no ADD lands in between. */
export async function gc(t: Tally, runtime: Runtime, nets: Net[], live: Live): Promise<void> {
  await live.gate.gc(async () => {
    for (const net of nets) {
      const valid = [...live.started.values()].filter((s) => s.net === net).map((s) => ({ containerID: s.rt.containerId, ifname: s.rt.ifname }));
      await call(t, `GC ${net.name}`, async () => {
        const errors = await runtime.gc(net.list, valid);
        if (errors.length > 0) throw new Error(errors.map((e) => e.message).join("; "));
      });
    }
  });
}

export async function cycle(t: Tally, runtime: Runtime, net: Net, id: string, port: number, live: Live, dropNetns: boolean): Promise<void> {
  const ns = await tempNetns();
  let nsAlive = true;
  const dropNs = async (): Promise<void> => {
    if (nsAlive) await ns[Symbol.asyncDispose]();
    nsAlive = false;
  };
  const rt = attachment(id, ns.path, port);
  live.started.set(id, { net, rt });
  try {
    const added = (await call(t, `ADD ${id}`, () => live.gate.call(() => runtime.add(net.list, rt)))) as { result: unknown } | undefined;
    const ips = added === undefined ? [] : resultIps(added.result);
    for (const ip of ips) {
      const owner = live.ips.get(ip);
      if (owner !== undefined) {
        t.duplicates++;
        note(t, `duplicate ${ip}: ${owner} and ${id}`);
      }
      live.ips.set(ip, id);
    }
    if (added !== undefined) await call(t, `CHECK ${id}`, () => live.gate.call(() => runtime.check(net.list, rt)));
    if (dropNetns) await dropNs();
    const deleted = await call(t, `DEL ${id}`, () => live.gate.call(async () => (await runtime.del(net.list, rt), true)));
    if (deleted === true) {
      for (const ip of ips) if (live.ips.get(ip) === id) live.ips.delete(ip);
      live.started.delete(id);
    }
  } finally {
    await dropNs();
  }
}

export async function churn(impl: Impl, runtime: Runtime, nets: Net[], baseline: Snapshot, o: ChurnOptions): Promise<Tally> {
  const t = tally();
  const live = newLive();
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    for (;;) {
      const n = next++;
      if (n >= o.cycles || Date.now() > o.deadline) return;
      const net = nets[n % nets.length];
      if (net === undefined) return;
      await cycle(t, runtime, net, `churn-${impl.tag}-${n}`, 20000 + w, live, n % 7 === 3);
      if (n % o.gcEvery === o.gcEvery - 1) await gc(t, runtime, nets, live);
    }
  };
  await Promise.all(Array.from({ length: o.workers }, (_, w) => worker(w)));
  // What a runtime does after a crash: GC with nothing valid deletes every cached attachment.
  live.started.clear();
  await gc(t, runtime, nets, live);
  await o.settled?.();
  const left = diff(baseline, await snapshot(implDirs(impl))).filter((l) => o.owns?.(l) ?? true);
  t.leaks += left.length;
  for (const l of left) note(t, `left after churn: ${l}`);
  return t;
}
