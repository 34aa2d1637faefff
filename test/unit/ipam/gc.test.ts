import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../harness.ts";
import { exhaustedSets, staleReservations } from "../../../src/ipam/host-local/gc.ts";
import { parseCIDR } from "../../../src/ip/index.ts";
import { hostLocal, hostLocalGc, hostLocalStatus } from "../../../src/ipam/host-local/plugin.ts";
import { canonicalizeRangeSet } from "../../../src/ipam/host-local/range.ts";
import type { Reservation } from "../../../src/ipam/host-local/store.ts";
import { cmdArgs, seededStore, storeFiles } from "./helpers.ts";

const resv: Reservation[] = [
  { ip: "10.0.0.2", containerId: "a", ifname: "eth0" },
  { ip: "10.0.0.3", containerId: "a", ifname: "eth1" },
  { ip: "10.0.0.4", containerId: "b", ifname: "eth0" },
  { ip: "10.0.0.5", containerId: "legacy" },
  { ip: "10.0.0.6", containerId: "gone" },
];

describe("GC selection", () => {
  test("keeps exactly the listed (id, ifname) pairs, and legacy files of listed IDs", () => {
    const stale = staleReservations(resv, [
      { containerID: "a", ifname: "eth0" },
      { containerID: "legacy", ifname: "eth0" },
    ]);
    expect(stale.map((r) => r.ip)).toEqual(["10.0.0.3", "10.0.0.4", "10.0.0.6"]);
  });

  test("an empty list releases everything", () => {
    expect(staleReservations(resv, []).length).toBe(resv.length);
  });
});

describe("GC and STATUS verbs", () => {
  const conf = (dataDir: string, extra: Record<string, unknown> = {}, subnet = "10.0.0.0/30") => ({
    cniVersion: "1.1.0",
    name: "n",
    ipam: { dataDir, ranges: [[{ subnet }]] },
    ...extra,
  });

  test("GC releases unlisted attachments and never touches lock or last_reserved_ip", async () => {
    using tmp = tempDir();
    const c = (extra: Record<string, unknown> = {}) => conf(tmp.path, extra, "10.0.0.0/29");
    await hostLocal.add(cmdArgs("ADD", c(), { containerId: "keep" }));
    await hostLocal.add(cmdArgs("ADD", c(), { containerId: "keep", ifname: "net1" }));
    const dir = join(tmp.path, "n");
    await hostLocalGc(cmdArgs("GC", c({ "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] })));
    expect(readdirSync(dir).sort()).toEqual(["10.0.0.2", "last_reserved_ip.0", "lock"]);
    await hostLocalGc(cmdArgs("GC", c({ "cni.dev/valid-attachments": [] })));
    expect(readdirSync(dir).sort()).toEqual(["last_reserved_ip.0", "lock"]);
  });

  test("GC honours the legacy cni.dev/attachments key", async () => {
    using tmp = tempDir();
    const store = seededStore(tmp.path, { files: { "10.0.0.2": "x\r\neth0", "10.0.0.3": "y\r\neth0" } });
    await hostLocalGc(cmdArgs("GC", conf("/unused", { "cni.dev/attachments": [{ containerID: "x", ifname: "eth0" }] })), () => store);
    expect(Object.keys(storeFiles(store))).toEqual(["10.0.0.2"]);
  });

  test("STATUS: success on a full range by default (as v1.9.1), even on a broken config", async () => {
    using tmp = tempDir();
    const store = seededStore(tmp.path, { files: { "10.0.0.2": "a\r\neth0" } });
    const before = storeFiles(store);
    await expect(hostLocalStatus(cmdArgs("STATUS", conf("/unused")), () => store)).resolves.toBeUndefined();
    await expect(hostLocalStatus(cmdArgs("STATUS", conf("/unused", {}, "10.0.0.0/31")), () => store)).resolves.toBeUndefined();
    expect(storeFiles(store)).toEqual(before);
    // The range really is full: the same store with the opt-in answers code 50.
    const optIn = conf("/unused");
    await expect(hostLocalStatus(cmdArgs("STATUS", { ...optIn, ipam: { ...optIn.ipam, failStatusWhenFull: true } }), () => store)).rejects.toMatchObject({ code: 50 });
  });

  test("STATUS with the opt-in failStatusWhenFull: success with room, code 50 once a set is exhausted", async () => {
    using tmp = tempDir();
    const store = seededStore(tmp.path);
    const optIn = (): Record<string, unknown> => {
      const c = conf("/unused");
      return { ...c, ipam: { ...c.ipam, failStatusWhenFull: true } };
    };
    await hostLocalStatus(cmdArgs("STATUS", optIn()), () => store);
    expect(store.reserve("a", "eth0", "10.0.0.2", "0")).toBe(true);
    await expect(hostLocalStatus(cmdArgs("STATUS", optIn()), () => store)).rejects.toMatchObject({
      code: 50,
      message: "no IP addresses available in range set: 10.0.0.1-10.0.0.2",
    });
  });

  test("exhaustedSets counts per range, excluding gateways, for huge IPv6 ranges too", () => {
    const sets = [
      canonicalizeRangeSet([{ subnet: parseCIDR("10.0.0.0/30")! }, { subnet: parseCIDR("10.0.1.0/30")! }]),
      canonicalizeRangeSet([{ subnet: parseCIDR("2001:db8::/64")! }]),
    ];
    expect(exhaustedSets(sets, [{ ip: "10.0.0.2", containerId: "a" }])).toEqual([]);
    expect(exhaustedSets(sets, [{ ip: "10.0.0.2", containerId: "a" }, { ip: "10.0.1.2", containerId: "b" }])).toEqual([0]);
  });
});
