/**
 * `tscni gc --apply` releases through the host-local store, under its lock, exactly what the plan
 * saw: a reservation freed and taken again since the plan is left alone and reported.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pluginEntry } from "../../../plugins/registry.ts";
import { applyGc } from "../../../src/cli/gc-apply.ts";
import { describeLists } from "../../../src/cli/gc-ipam.ts";
import { planGc } from "../../../src/cli/gc-plan.ts";
import { silentProgress } from "../../../src/cli/progress.ts";
import { parseConfList, type Runtime } from "../../../src/runtime/index.ts";
import { tempDir } from "../../harness.ts";

const HOUR = 3600_000;

function network(dataDir: string) {
  const conf = { cniVersion: "1.1.0", name: "pods", plugins: [{ type: "host-local", ipam: { type: "host-local", dataDir, subnet: "10.9.0.0/24" } }] };
  return parseConfList(new TextEncoder().encode(JSON.stringify(conf)));
}

describe("gc apply", () => {
  test("releases what the plan saw; a reservation re-written since is kept and reported", async () => {
    using d = tempDir();
    const dir = join(d.path, "pods");
    mkdirSync(dir);
    const old = new Date(Date.now() - 2 * HOUR);
    for (const [ip, owner] of [["10.9.0.2", "gone\r\neth0"], ["10.9.0.3", "dead\r\neth0"], ["10.9.0.4", "live\r\neth0"]] as const) {
      writeFileSync(join(dir, ip), owner);
      utimesSync(join(dir, ip), old, old);
    }
    const lists = [network(d.path)];
    const plan = planGc({
      lists,
      descriptions: await describeLists(lists, pluginEntry),
      cached: [],
      cacheDir: join(d.path, "cache"),
      valid: () => [{ containerID: "live", ifname: "eth0" }],
      graceSeconds: 600,
      now: Date.now(),
    });
    expect(plan.releases.map((r) => r.reservation.ip)).toEqual(["10.9.0.2", "10.9.0.3"]);
    // Between plan and apply, .3 is freed and taken again (same text, a new write).
    writeFileSync(join(dir, "10.9.0.3"), "dead\r\neth0");
    await applyGc(plan, {} as Runtime, silentProgress);
    expect(plan.releases.map((r) => [r.reservation.ip, r.action.done, r.action.error])).toEqual([
      ["10.9.0.2", true, undefined],
      ["10.9.0.3", false, "the reservation changed since it was planned; left alone"],
    ]);
    expect(existsSync(join(dir, "10.9.0.2"))).toBe(false);
    expect(readFileSync(join(dir, "10.9.0.3"), "utf8")).toBe("dead\r\neth0");
    expect(existsSync(join(dir, "10.9.0.4"))).toBe(true);
  });
});
