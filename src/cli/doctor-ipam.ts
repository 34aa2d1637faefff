/**
 * Host-local range sets with no address left. STATUS succeeds on a full range, as the reference's
 * does, so that containerd keeps the node Ready; doctor is where an operator learns that every new
 * pod on that network will fail its ADD. Read-only: the reservation dirs are listed, never created.
 */
import { DiskStore, exhaustedSets, loadHostLocalConfig, rangeSetString } from "../ipam/index.ts";
import type { NetworkList } from "../runtime/index.ts";
import { type Check, ok, warning } from "./doctor-check.ts";
import { hostLocalSections } from "./gc-ipam.ts";

export function exhaustionChecks(lists: readonly NetworkList[]): Check[] {
  const checks: Check[] = [];
  for (const list of lists) {
    for (const section of hostLocalSections(list)) {
      let config;
      try {
        config = loadHostLocalConfig({ name: list.name, cniVersion: list.cniVersion, ipam: section }, "");
      } catch {
        continue; // the config checks already report a section ADD would refuse
      }
      const taken = new DiskStore(config.dataDir, config.name, { create: false }).reservations();
      for (const i of exhaustedSets(config.rangeSets, taken)) {
        const set = rangeSetString(config.rangeSets[i] ?? []);
        checks.push(
          warning(
            "ipam-exhausted",
            `network ${JSON.stringify(list.name)}: range set ${set} has no free address; every new pod on it fails ADD (STATUS still succeeds, so the node stays Ready)`,
            "free what dead pods hold (tscni gc, a dry run first) or widen the range",
          ),
        );
      }
    }
  }
  return checks.length > 0 ? checks : [ok("ipam-exhausted", "every host-local range set has a free address")];
}
