import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DirEntry } from "../../../src/sys/index.ts";
import { DiskStore } from "../../../src/ipam/host-local/disk-store.ts";
import { type ScanDir, walkOrder } from "../../../src/ipam/host-local/disk-walk.ts";
import { hostLocalAdd, hostLocalCheck, hostLocalDel } from "../../../src/ipam/host-local/plugin.ts";
import { tempDir } from "../../harness.ts";
import { cmdArgs } from "./helpers.ts";

/** The store the plugin opens, counting how often each directory is listed. */
class CountingStore extends DiskStore {
  readonly listings: string[] = [];
  protected override listEntries(dir: string): DirEntry[] {
    this.listings.push(dir);
    return super.listEntries(dir);
  }
  protected override scanEntries(...args: Parameters<ScanDir>): void {
    this.listings.push(args[0]);
    super.scanEntries(...args);
  }
}

function network(dataDir: string) {
  const conf = {
    cniVersion: "1.0.0",
    name: "dual",
    ipam: { dataDir, ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "2001:db8:1::/64" }]] },
  };
  const stores: CountingStore[] = [];
  const open = () => {
    const s = new CountingStore(dataDir, "dual");
    stores.push(s);
    return s;
  };
  const listings = (): number => stores.reduce((n, s) => n + s.listings.length, 0);
  return { conf, open, listings, dir: join(dataDir, "dual") };
}

describe("host-local lists its network directory once per call", () => {
  test("a dual-stack ADD walks once for both range sets' duplicate checks", async () => {
    using tmp = tempDir();
    const n = network(tmp.path);
    const r = await hostLocalAdd(cmdArgs("ADD", n.conf, { containerId: "c1" }), n.open);
    expect(r.ips?.map((i) => i.address)).toEqual(["10.1.2.2/24", "2001:db8:1::2/64"]);
    expect(n.listings()).toBe(1);
  });

  test("the single walk still refuses a duplicate in the second set", async () => {
    using tmp = tempDir();
    const n = network(tmp.path);
    await hostLocalAdd(cmdArgs("ADD", n.conf, { containerId: "c1" }), n.open);
    // Only the IPv6 reservation survives: set 0 allocates, set 1 finds the duplicate.
    for (const name of readdirSync(n.dir)) if (name === "10.1.2.2") writeFileSync(join(n.dir, name), "other\r\neth0");
    await expect(hostLocalAdd(cmdArgs("ADD", n.conf, { containerId: "c1" }), n.open)).rejects.toThrow(
      "failed to allocate for range 1: 2001:db8:1::2 has been allocated to c1, duplicate allocation is not allowed",
    );
    // What the failed call reserved in set 0 was released again.
    expect(readdirSync(n.dir).sort()).toEqual(["10.1.2.2", "2001:db8:1::2", "last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
  });

  test("DEL walks once: owner's files, legacy files when the owner has none, empty scratch files", async () => {
    using tmp = tempDir();
    const n = network(tmp.path);
    await hostLocalAdd(cmdArgs("ADD", n.conf, { containerId: "c1" }), n.open);
    writeFileSync(join(n.dir, ".10.1.2.9.new"), "");
    writeFileSync(join(n.dir, "10.1.2.7"), "c1");
    const before = n.listings();
    await hostLocalDel(cmdArgs("DEL", n.conf, { containerId: "c1" }), n.open);
    expect(n.listings() - before).toBe(1);
    // The owner held files, so the legacy one stays (as in the reference); the scratch file goes.
    expect(readdirSync(n.dir).sort()).toEqual(["10.1.2.7", "last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
    const legacy = n.listings();
    await hostLocalDel(cmdArgs("DEL", n.conf, { containerId: "c1" }), n.open);
    expect(n.listings() - legacy).toBe(1);
    expect(readdirSync(n.dir).sort()).toEqual(["last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
  });

  test("CHECK walks once, finding a legacy reservation too", async () => {
    using tmp = tempDir();
    const n = network(tmp.path);
    await hostLocalDel(cmdArgs("DEL", n.conf, { containerId: "c1" }), n.open);
    writeFileSync(join(n.dir, "10.1.2.7"), "c1");
    const before = n.listings();
    await hostLocalCheck(cmdArgs("CHECK", n.conf, { containerId: "c1" }), n.open);
    expect(n.listings() - before).toBe(1);
    expect(readFileSync(join(n.dir, "10.1.2.7"), "utf8")).toBe("c1");
  });
});

describe("the by-owner walk skips the sort yet keeps the reference's order", () => {
  test("walkOrder compares directory by directory, not whole paths", () => {
    const root = "/d/net";
    const at = root.length + 1;
    // As whole strings "/d/net/a.b" < "/d/net/a/x" ('.' < '/'); filepath.Walk visits a/x first.
    expect(walkOrder("/d/net/a/x", "/d/net/a.b", at)).toBeLessThan(0);
    expect(walkOrder("/d/net/a.b", "/d/net/a/x", at)).toBeGreaterThan(0);
    expect(walkOrder("/d/net/10.0.0.10", "/d/net/10.0.0.9", at)).toBeLessThan(0);
    expect(walkOrder("/d/net/b", "/d/net/b", at)).toBe(0);
  });

  test("getByID answers in lexical walk order whatever order the files were written in", () => {
    using tmp = tempDir();
    const s = new DiskStore(tmp.path, "n");
    mkdirSync(join(s.dir, "a"));
    const owned = ["10.0.0.9", "a/10.0.0.5", "10.0.0.10", "a.b", "2001:db8::1"];
    for (const name of owned) writeFileSync(join(s.dir, name), "c\r\neth0");
    writeFileSync(join(s.dir, "10.0.0.3"), "other\r\neth0");
    // "a.b" is no address, so getByID leaves it out; a/10.0.0.5 is walked before it.
    expect(s.getByID("c", "eth0")).toEqual(["10.0.0.10", "10.0.0.9", "2001:db8::1", "10.0.0.5"]);
  });
});
