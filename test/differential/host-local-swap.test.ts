/**
 * tscni and a reference sharing one dataDir (v1.9.1, and Debian's v1.1.1 that runtimes still
 * ship): state written by either is read and released by the other, and interleaved (also
 * concurrent) use never hands out an address twice.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NETNS_TIMEOUT, requireIsolatedHost, tempDir } from "../harness.ts";
import { call, TSCNI_HOST_LOCAL } from "../fixtures/host-local/support.ts";
import { v111, v191 } from "./oracles.ts";

requireIsolatedHost();

const conf = {
  cniVersion: "1.0.0",
  name: "shared",
  ipam: { type: "host-local", ranges: [[{ subnet: "10.7.0.0/24" }], [{ subnet: "2001:db8:7::/64" }]] },
};
const bookkeepingOnly = (dir: string): string[] =>
  readdirSync(join(dir, "shared")).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip."));

for (const [oracle, REFERENCE_HOST_LOCAL] of [["v1.9.1", v191("host-local")], ["v1.1.1", v111("host-local")]] as const) {
describe(`host-local swap with ${oracle}`, () => {
  for (const [adder, deleter, label] of [
    [REFERENCE_HOST_LOCAL, TSCNI_HOST_LOCAL, `ADD by ${oracle}, CHECK and DEL by tscni`],
    [TSCNI_HOST_LOCAL, REFERENCE_HOST_LOCAL, `ADD by tscni, CHECK and DEL by ${oracle}`],
  ] as const) {
    test(
      label,
      async () => {
        using d = tempDir();
        for (let i = 0; i < 5; i++) {
          expect((await call(adder, conf, d.path, { cmd: "ADD", id: `c${i}` })).code).toBe(0);
          expect((await call(adder, conf, d.path, { cmd: "ADD", id: `c${i}`, ifname: "net1" })).code).toBe(0);
        }
        expect(bookkeepingOnly(d.path).length).toBe(20);
        // CHECK across implementations sees the other's reservations.
        expect((await call(deleter, { ...conf, cniVersion: "0.4.0" }, d.path, { cmd: "CHECK", id: "c3" })).code).toBe(0);
        for (let i = 0; i < 5; i++) {
          for (const ifname of ["eth0", "net1"]) {
            expect((await call(deleter, conf, d.path, { cmd: "DEL", id: `c${i}`, ifname })).code).toBe(0);
          }
        }
        expect(bookkeepingOnly(d.path)).toEqual([]);
      },
      NETNS_TIMEOUT,
    );
  }

  test(
    "a duplicate ADD is refused across implementations; round robin continues from the other's last",
    async () => {
      using d = tempDir();
      const a = await call(REFERENCE_HOST_LOCAL, conf, d.path, { cmd: "ADD", id: "x" });
      expect(a.code).toBe(0);
      const dup = await call(TSCNI_HOST_LOCAL, conf, d.path, { cmd: "ADD", id: "x" });
      expect(dup.json).toEqual({
        code: 999,
        msg: "failed to allocate for range 0: 10.7.0.2 has been allocated to x, duplicate allocation is not allowed",
      });
      const b = await call(TSCNI_HOST_LOCAL, conf, d.path, { cmd: "ADD", id: "y" });
      expect((b.json as { ips: { address: string }[] }).ips[0]?.address).toBe("10.7.0.3/24");
      const c = await call(REFERENCE_HOST_LOCAL, conf, d.path, { cmd: "ADD", id: "z" });
      expect(c.stdout).toContain("10.7.0.4/24");
      expect(readFileSync(join(d.path, "shared", "last_reserved_ip.0"), "utf8")).toBe("10.7.0.4");
    },
    NETNS_TIMEOUT,
  );

  test(
    "interleaved and concurrent use by both never duplicates an address",
    async () => {
      using d = tempDir();
      const small = { ...conf, ipam: { type: "host-local", ranges: [[{ subnet: "10.8.0.0/26" }]] } };
      const jobs = Array.from({ length: 40 }, (_, i) =>
        call(i % 2 === 0 ? TSCNI_HOST_LOCAL : REFERENCE_HOST_LOCAL, small, d.path, { cmd: "ADD", id: `p${i}` }),
      );
      const replies = await Promise.all(jobs);
      for (const r of replies) expect(r.code).toBe(0);
      const addrs = replies.map((r) => (r.json as { ips: { address: string }[] }).ips[0]?.address);
      expect(new Set(addrs).size).toBe(40);
      const files = bookkeepingOnly(d.path).sort();
      expect(files.length).toBe(40);
      for (const [i, r] of replies.entries()) {
        const ip = (r.json as { ips: { address: string }[] }).ips[0]?.address.split("/")[0] ?? "";
        expect(readFileSync(join(d.path, "shared", ip), "utf8")).toBe(`p${i}\r\neth0`);
      }
      // Release half with the other implementation, in parallel, then refill: still no duplicates.
      await Promise.all(
        replies.map((_, i) =>
          i % 4 === 0 ? call(i % 8 === 0 ? REFERENCE_HOST_LOCAL : TSCNI_HOST_LOCAL, small, d.path, { cmd: "DEL", id: `p${i}` }) : null,
        ),
      );
      const refill = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          call(i % 2 === 0 ? REFERENCE_HOST_LOCAL : TSCNI_HOST_LOCAL, small, d.path, { cmd: "ADD", id: `q${i}` }),
        ),
      );
      for (const r of refill) expect(r.code).toBe(0);
      const owners = bookkeepingOnly(d.path).map((f) => readFileSync(join(d.path, "shared", f), "utf8"));
      expect(owners.length).toBe(40);
      expect(new Set(owners).size).toBe(40);
    },
    NETNS_TIMEOUT,
  );
});
}
