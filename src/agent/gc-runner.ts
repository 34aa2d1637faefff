/**
 * `tscni gc --apply --from-netns-dir … --grace-period …` in-process: what a reboot or a crash left
 * (reservations, cache entries, firewall objects of pods whose netns is gone) is freed at start and
 * then periodically, with the same proof of staleness and grace period as the command.
 */
import { gcCommand, type GcAction } from "../cli/gc.ts";
import type { Env } from "../cli/options.ts";
import type { PluginLookup } from "../container/index.ts";

export interface GcRunOptions {
  confDir: string;
  binDir: string;
  cacheDir: string;
  netnsDir: string;
  graceSeconds: number;
  env: Env;
  registry: PluginLookup;
  log: (line: string) => void;
}

export interface GcTally {
  released: number;
  deleted: number;
  firewall: number;
  errors: number;
}

export async function runGc(o: GcRunOptions): Promise<GcTally> {
  let json = "";
  await gcCommand({
    confDir: o.confDir,
    binDir: o.binDir,
    cacheDir: o.cacheDir,
    fromNetnsDir: o.netnsDir,
    graceSeconds: o.graceSeconds,
    apply: true,
    json: true,
    env: o.env,
    registry: o.registry,
    out: (t) => void (json += t),
    err: (t) => o.log(`gc: ${t.trimEnd()}`),
  });
  const actions = (JSON.parse(json) as { actions: GcAction[] }).actions;
  const done = (kind: GcAction["kind"]): number => actions.filter((a) => a.kind === kind && a.done).length;
  const tally = { released: done("release-ip"), deleted: done("del-attachment"), firewall: done("remove-firewall"), errors: actions.filter((a) => a.error !== undefined).length };
  if (actions.length > 0) o.log(`gc: ${tally.deleted} attachments deleted, ${tally.released} addresses released, ${tally.firewall} firewall objects removed, ${tally.errors} errors`);
  return tally;
}
