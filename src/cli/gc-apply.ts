/**
 * Executes a gc plan exactly: no object outside it is touched. Each reservation is released under
 * its store's lock, and only while it still holds what the plan saw: one freed and taken again
 * since is left alone and reported.
 */
import type { ApplyOptions } from "../firewall/index.ts";
import type { Runtime } from "../runtime/index.ts";
import { applyFirewallGc } from "./firewall-gc.ts";
import type { GcPlan } from "./gc-plan.ts";
import type { Progress } from "./progress.ts";

async function releaseAll(plan: GcPlan, progress: Progress): Promise<void> {
  for (const [store, releases] of Map.groupBy(plan.releases, (r) => r.store)) {
    using _lock = await store.lock();
    for (const { action, reservation } of releases) {
      progress.update(`gc: releasing ${reservation.ip}`);
      try {
        if (store.release(reservation)) action.done = true;
        else action.error = "the reservation changed since it was planned; left alone";
      } catch (e) {
        action.error = (e as Error).message;
      }
    }
  }
}

export async function applyGc(plan: GcPlan, runtime: Runtime, progress: Progress, firewall?: ApplyOptions): Promise<void> {
  for (const { action, list, attachment } of plan.dels) {
    progress.update(`gc: DEL ${attachment.containerId}:${attachment.ifname}`);
    try {
      await runtime.del(list, attachment);
      action.done = true;
    } catch (e) {
      action.error = (e as Error).message;
    }
  }
  await releaseAll(plan, progress);
  const fw = plan.firewall;
  if (fw === undefined || fw.actions.size === 0) return;
  progress.update(`gc: removing ${fw.actions.size} firewall objects`);
  const failed = await applyFirewallGc(fw.plan, firewall);
  for (const [item, action] of fw.actions) {
    const error = failed.get(item);
    if (error === undefined) action.done = true;
    else action.error = error;
  }
}
