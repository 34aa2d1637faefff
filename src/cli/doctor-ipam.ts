/**
 * Host-local range sets with no address left. STATUS succeeds on a full range, as the reference's
 * does, so that containerd keeps the node Ready; doctor is where an operator learns that every new
 * pod on that network will fail its ADD. Read-only: the reservation dirs are listed, never created.
 */
import type { PluginDescription } from "../container/index.ts";
import { DiskStore, exhaustedSets, rangeSetString } from "../ipam/index.ts";
import { type Check, ok, warning } from "./doctor-check.ts";

/** `descriptions`: each network's, by name; a section that does not load has no range sets (the config checks say why). */
export function exhaustionChecks(descriptions: ReadonlyMap<string, PluginDescription>): Check[] {
  const checks: Check[] = [];
  for (const [name, d] of descriptions) {
    for (const store of d.ipam) {
      const taken = new DiskStore(store.dataDir, name, { create: false }).reservations();
      for (const i of exhaustedSets(store.rangeSets, taken)) {
        const set = rangeSetString(store.rangeSets[i] ?? []);
        checks.push(
          warning(
            "ipam-exhausted",
            `network ${JSON.stringify(name)}: range set ${set} has no free address; every new pod on it fails ADD (STATUS still succeeds, so the node stays Ready)`,
            "free what dead pods hold (tscni gc, a dry run first) or widen the range",
          ),
        );
      }
    }
  }
  return checks.length > 0 ? checks : [ok("ipam-exhausted", "every host-local range set has a free address")];
}
