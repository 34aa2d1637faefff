/**
 * Reservations and firewall objects that outlived their pods, judged exactly as `tscni gc
 * --from-netns-dir` would (same plan, same grace period), so doctor never calls stale what gc
 * would keep.
 */
import type { PluginDescription } from "../container/index.ts";
import type { FirewallSnapshot } from "../firewall/index.ts";
import type { CachedAttachment, NetworkList } from "../runtime/index.ts";
import { type Check, ok, warning } from "./doctor-check.ts";
import { netnsAlive } from "./gc-ipam.ts";
import { gcLine } from "./gc-output.ts";
import { planGc } from "./gc-plan.ts";

const GRACE_SECONDS = 600;
const SHOWN = 5;

export function staleChecks(lists: readonly NetworkList[], descriptions: ReadonlyMap<string, PluginDescription>, cached: readonly CachedAttachment[], cacheDir: string, snapshot: FirewallSnapshot, netnsDir: string): Check[] {
  const plan = planGc({
    lists,
    descriptions,
    cached,
    cacheDir,
    valid: (_l, mine) => mine.filter((a) => netnsAlive(a, netnsDir)).map((a) => ({ containerID: a.containerId, ifname: a.ifname })),
    snapshot,
    graceSeconds: GRACE_SECONDS,
    now: Date.now(),
  });
  const fix = `tscni gc --from-netns-dir ${netnsDir} (a dry run), then again with --apply`;
  const group = (id: string, what: string, kinds: readonly string[]): Check => {
    const hits = plan.actions.filter((a) => kinds.includes(a.kind));
    if (hits.length === 0) return ok(id, `no ${what} outlived its pod`);
    const lines = hits.slice(0, SHOWN).map((a) => gcLine(a, GRACE_SECONDS).replace(/^\w+\s+/, ""));
    const more = hits.length > SHOWN ? `; and ${hits.length - SHOWN} more` : "";
    return warning(id, `${hits.length} ${what}${hits.length > 1 ? "s" : ""} outlived their pods: ${lines.join("; ")}${more}`, fix);
  };
  return [group("stale-reservations", "attachment or reservation", ["del-attachment", "release-ip"]), group("stale-firewall", "firewall object", ["remove-firewall"])];
}
