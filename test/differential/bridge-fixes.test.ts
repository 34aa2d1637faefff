/**
 * Reference defects tscni fixes, shown against the v1.9.1 oracle ("the reference") so this file
 * notices if the oracle changes: L2 CHECK passes (the reference always fails), isDefaultGateway
 * with a gw-less IPAM default route gives one default route per family (the reference fails with
 * "file exists"), GC frees stale reservations and masquerade rules (the reference frees nothing).
 * Each test runs in its own fresh host netns (test/fixtures/bridge/support.ts).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { bridgeCall, privateVarLib, REF, resetDataDir, TS, world } from "../fixtures/bridge/support.ts";
import { failnet, residue } from "./bridge-residue.ts";

requireIsolatedHost();

const TIMEOUT = 120_000;

beforeAll(() => privateVarLib());

describe("reference defects tscni fixes (Appendix B 11, 12)", () => {
  test("L2 CHECK passes (the reference always fails with `no plugin name provided`)", async () => {
    const l2 = { cniVersion: "1.0.0", name: "l2net", type: "bridge", bridge: "br2" };
    for (const impl of [REF, TS]) {
      await using w = await world(1);
      const netns = w.containers[0]?.path ?? "";
      const a = await bridgeCall(l2, { impl, host: w.host, command: "ADD", netns });
      expect(a.code).toBe(0);
      const c = await bridgeCall({ ...l2, prevResult: a.json }, { impl, host: w.host, command: "CHECK", netns });
      if (impl === REF) expect(c.json).toMatchObject({ code: 999, msg: "no plugin name provided" });
      else expect({ code: c.code, stdout: c.stdout }).toEqual({ code: 0, stdout: "" });
    }
  }, TIMEOUT);

  test("isDefaultGateway with a gw-less IPAM default route: one default route per family", async () => {
    const c = failnet({ isDefaultGateway: true });
    for (const impl of [REF, TS]) {
      resetDataDir();
      await using w = await world(1);
      const ctr = w.containers[0];
      const a = await bridgeCall(c, { impl, host: w.host, command: "ADD", netns: ctr?.path ?? "" });
      if (impl === REF) {
        expect((a.json as { msg: string }).msg).toMatch(/^failed to add route .* file exists$/);
        continue;
      }
      expect({ code: a.code, error: a.code === 0 ? "" : a.stdout }).toEqual({ code: 0, error: "" });
      const routes = (a.json as { routes: { dst: string }[] }).routes;
      expect(routes.filter((r) => r.dst === "0.0.0.0/0")).toHaveLength(1);
      expect(routes.filter((r) => r.dst === "::/0")).toHaveLength(1);
      for (const fam of ["-4", "-6"]) {
        const r = await ctr?.run(["ip", "-j", fam, "route", "show", "default"]);
        const defaults = JSON.parse(r?.stdout || "[]") as { gateway?: string }[];
        expect(defaults.map((d) => d.gateway)).toEqual([fam === "-4" ? "10.50.0.1" : "fd50::1"]);
      }
    }
  }, TIMEOUT);

  test("GC frees the reservations and masquerade rules of attachments not in valid-attachments", async () => {
    const c = failnet({ ipMasq: true }, "1.1.0");
    const left: Record<string, unknown> = {};
    for (const impl of [REF, TS]) {
      resetDataDir();
      await using w = await world(2);
      for (const [i, ns] of w.containers.entries()) {
        expect((await bridgeCall(c, { impl, host: w.host, command: "ADD", containerId: `gc${i}`, netns: ns.path })).code).toBe(0);
      }
      const gc = await bridgeCall({ ...c, "cni.dev/valid-attachments": [{ containerID: "gc0", ifname: "eth0" }] }, { impl, host: w.host, command: "GC", netns: "" });
      expect({ impl: impl.name, code: gc.code, stdout: gc.stdout, stderr: gc.stderr }).toEqual({ impl: impl.name, code: 0, stdout: "", stderr: "" });
      const r = await residue(w, undefined, "failnet");
      left[impl.name] = { ipFiles: r.ipFiles, masqChains: r.masqChains.length };
    }
    expect(left).toEqual({
      "v1.9.1": { ipFiles: ["10.50.0.2", "10.50.0.3", "fd50::2", "fd50::3"], masqChains: 2 },
      tscni: { ipFiles: ["10.50.0.2", "fd50::2"], masqChains: 1 },
    });
  }, TIMEOUT);
});
