/**
 * last_reserved_ip is rewritten in place when the new address text is at least as long as the
 * file (no ftruncate, which costs an ext4 journal transaction), and emptied first when it is
 * shorter: either way the file ends holding exactly the new address, as the reference leaves it.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../harness.ts";
import { DiskStore } from "../../../src/ipam/host-local/disk-store.ts";

describe("last_reserved_ip after a reservation", () => {
  const cases: [string, string, string][] = [
    ["absent", "", "10.0.0.9"],
    ["shorter text before (the next address grew a digit)", "10.0.0.9", "10.0.0.10"],
    ["text of the same length", "10.0.0.3", "10.0.0.4"],
    ["longer text before (a range wrapped)", "10.0.255.254", "10.0.0.2"],
    ["IPv6, longer before", "fd00::ffff", "fd00::1:0"],
    ["foreign content, longer, with a newline", "not an address at all\n", "10.0.0.5"],
  ];
  for (const [name, before, ip] of cases) {
    test(name, () => {
      using tmp = tempDir();
      const s = new DiskStore(tmp.path, "n");
      const last = join(s.dir, "last_reserved_ip.0");
      if (before !== "") writeFileSync(last, before, { mode: 0o600 });
      expect(s.reserve("c1", "eth0", ip, "0")).toBe(true);
      expect(readFileSync(last, "utf8")).toBe(ip);
      expect(statSync(last).size).toBe(ip.length);
      expect(statSync(last).mode & 0o777).toBe(0o600);
    });
  }
});
