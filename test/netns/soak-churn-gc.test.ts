/**
 * The soak's churn keeps its GCs apart from ADD, CHECK and DEL, as the spec asks of a runtime:
 * a cycle that starts while a GC is under way (its valid list already read) must not have its
 * address released by that GC. The first GC exec is held until the cycle's ADD has either
 * finished (no gate: the race the chain-mode soak hit, then CHECK fails) or parked behind the GC.
 */
import { beforeAll, expect, test } from "bun:test";
import { NETNS_TIMEOUT, requireIsolatedHost } from "../harness.ts";
import { cycle, gc, newLive } from "../soak/churn.ts";
import { holdFirstGc } from "../soak/hold-gc.ts";
import { prepareHost } from "../soak/soak.ts";
import { tally } from "../soak/tally.ts";
import { type Impl, IMPLS, network, runtimeFor } from "../soak/world.ts";

requireIsolatedHost();
beforeAll(prepareHost);

test.each(["tscni", "tscni-chain"] as const)(
  "%s churn: a cycle starting during a GC keeps its address (CHECK and DEL succeed)",
  async (name) => {
    const impl = IMPLS.find((i) => i.name === name) as Impl;
    const net = network(impl, "iptables");
    const live = newLive();
    const id = `gcgate-${impl.tag}`;
    let go!: () => void;
    const addFinishedOrParked = new Promise<void>((r) => (go = r));
    live.gate.onParked = go;
    const hold = holdFirstGc(addFinishedOrParked, (req) => {
      if (req.env.CNI_COMMAND === "ADD" && req.env.CNI_CONTAINERID === id) go();
    });
    const runtime = runtimeFor(impl, hold.exec);
    const t = tally();
    const gcRound = gc(t, runtime, [net], live);
    await hold.held;
    await Promise.all([gcRound, cycle(t, runtime, net, id, 20600, live, false)]);
    expect(t.examples).toEqual([]);
    expect({ calls: t.calls, failed: t.failed }).toEqual({ calls: 4, failed: 0 });
  },
  NETNS_TIMEOUT,
);
