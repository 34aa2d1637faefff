/**
 * Mixed writers (issue #25 item 2): tscni and the v1.9.1 reference churn on the same node at the
 * same time, each on its own networks, so every tscni firewall call races the reference's
 * iptables-nft and nft commits (and the reverse), as on a node shared with other CNI plugins,
 * kube-proxy or Docker. A busy ruleset must never fail a tscni call. Leftovers are judged once both
 * have ended and attributed by name (container IDs, network names, bridges, subnets); lines that
 * name neither are counted against neither and listed.
 */
import type { Runtime } from "../../src/runtime/index.ts";
import { churn } from "./churn.ts";
import { diff, snapshot } from "./invariants.ts";
import { note, type Row, tally } from "./tally.ts";
import { type Impl, implDirs, type Net } from "./world.ts";

export interface Side {
  impl: Impl;
  runtime: Runtime;
  nets: Net[];
}

/** What names an implementation's objects (see world.ts network(): subnets 10.200+n, fd20:n::). */
const OWNED: Record<Impl["tag"], RegExp> = {
  t: /churn-t-|soak-t[in]\b|\bskt[in]0\b|10\.20[01]\.|fd20:[01]:/,
  r: /churn-r-|soak-r[in]\b|\bskr[in]0\b|10\.20[23]\.|fd20:[23]:/,
  c: /churn-c-|soak-c[in]\b|\bskc[in]0\b|10\.20[45]\.|fd20:[45]:/,
};

/** Resolves for everyone once `n` callers have arrived. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived >= n) open();
    return opened;
  };
}

export async function mixed(sides: Side[], o: { workers: number; cycles: number; deadline: number; gcEvery: number }): Promise<Row[]> {
  const baselines = await Promise.all(sides.map((s) => snapshot(implDirs(s.impl))));
  const settled = barrier(sides.length);
  const share = (x: number): number => Math.max(1, Math.ceil(x / sides.length));
  const tallies = await Promise.all(
    sides.map((s, i) =>
      churn(s.impl, s.runtime, s.nets, baselines[i] ?? {}, {
        workers: share(o.workers),
        cycles: share(o.cycles),
        deadline: o.deadline,
        gcEvery: o.gcEvery,
        owns: (line) => OWNED[s.impl.tag].test(line),
        settled,
      }),
    ),
  );
  const first = sides[0];
  if (first !== undefined && tallies[0] !== undefined) {
    const anyone = Object.values(OWNED);
    const unowned = diff(baselines[0] ?? {}, await snapshot(implDirs(first.impl))).filter((l) => !anyone.some((re) => re.test(l)));
    for (const l of unowned.slice(0, 3)) note(tallies[0], `left by neither by name (not counted): ${l}`);
  }
  return sides.map((s, i) => ({ phase: "mixed", impl: s.impl.name, t: tallies[i] ?? tally() }));
}
