/**
 * Executes a gc plan exactly: no object outside it is touched. Each reservation is checked again
 * under the host-local lock just before it goes: if its file now holds something else (the
 * address was freed and taken again since the plan), it is left alone and reported.
 */
import { readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { ApplyOptions } from "../firewall/index.ts";
import { LOCK_NAME, LOCK_TIMEOUT_MS, parseReservation } from "../ipam/index.ts";
import type { Runtime } from "../runtime/index.ts";
import { lockFile } from "../sys/index.ts";
import { applyFirewallGc } from "./firewall-gc.ts";
import type { GcPlan } from "./gc-plan.ts";
import type { Progress } from "./progress.ts";

function unchanged(path: string, mtimeMs: number, containerId: string, ifname: string | undefined): boolean {
  try {
    const r = parseReservation("", readFileSync(path, "utf8"));
    return statSync(path).mtimeMs === mtimeMs && r.containerId === containerId && r.ifname === ifname;
  } catch {
    return false;
  }
}

async function releaseAll(plan: GcPlan, progress: Progress): Promise<void> {
  const byDir = Map.groupBy(plan.releases, (r) => r.dir);
  for (const [dir, releases] of byDir) {
    const lock = await lockFile(join(dir, LOCK_NAME), { timeoutMs: LOCK_TIMEOUT_MS, dirMode: 0o755, fileMode: 0o750 });
    try {
      for (const { action, file } of releases) {
        progress.update(`gc: releasing ${file.r.ip}`);
        if (!unchanged(file.path, file.mtimeMs, file.r.containerId, file.r.ifname)) {
          action.error = "the reservation changed since it was planned; left alone";
          continue;
        }
        try {
          unlinkSync(file.path);
          action.done = true;
        } catch (e) {
          action.error = (e as Error).message;
        }
      }
    } finally {
      lock.release();
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
