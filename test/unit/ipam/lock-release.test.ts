import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { hostLocalAdd, hostLocalCheck, hostLocalDel } from "../../../src/ipam/host-local/plugin.ts";
import { tempDir } from "../../harness.ts";
import { cmdArgs } from "./helpers.ts";

// The network's lock is an flock on a file: one this process still held would make its next verb
// wait out the lock timeout (60 s), far past this test's bound.
describe("every verb releases the network's lock, failed or not", () => {
  test("a failed ADD, a failed CHECK and a DEL, then an ADD", async () => {
    using tmp = tempDir();
    const conf = { cniVersion: "1.0.0", name: "net", ipam: { dataDir: tmp.path, ranges: [[{ subnet: "10.1.2.0/30" }]] } };
    const dir = join(tmp.path, "net");
    await hostLocalAdd(cmdArgs("ADD", conf, { containerId: "c1" }));
    // 10.1.2.0/30 holds one address besides its gateway: the next ADD fails with the lock held.
    await expect(hostLocalAdd(cmdArgs("ADD", conf, { containerId: "c2" }))).rejects.toThrow("no IP addresses available");
    await expect(hostLocalCheck(cmdArgs("CHECK", conf, { containerId: "c2" }))).rejects.toThrow("Failed to find address");
    await hostLocalDel(cmdArgs("DEL", conf, { containerId: "c1" }));
    const r = await hostLocalAdd(cmdArgs("ADD", conf, { containerId: "c2" }));
    expect(r.ips?.map((i) => i.address)).toEqual(["10.1.2.2/30"]);
    expect(readdirSync(dir).sort()).toEqual(["10.1.2.2", "last_reserved_ip.0", "lock"]);
  }, 10_000);
});
