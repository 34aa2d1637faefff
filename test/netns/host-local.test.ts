/**
 * host-local under concurrency, through the compiled binary: parallel ADDs from separate processes
 * get distinct addresses, parallel DELs leave nothing, a bounded mixed ADD/DEL/GC run ends
 * consistent; the flock interoperates with flock(1); GC and STATUS (spec 1.1) end to end.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exec, NETNS_TIMEOUT, requireIsolatedHost, runCni, tempDir } from "../harness.ts";
import { call, TSCNI_HOST_LOCAL } from "../fixtures/host-local/support.ts";

requireIsolatedHost();

const conf = (subnet = "10.20.0.0/24", extra: Record<string, unknown> = {}) => ({
  cniVersion: "1.1.0",
  name: "conc",
  ipam: { type: "host-local", ranges: [[{ subnet }]] },
  ...extra,
});
const reservations = (dir: string): string[] =>
  readdirSync(join(dir, "conc")).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip."));

describe("host-local concurrency", () => {
  test(
    "50 parallel ADDs get 50 distinct addresses; 50 parallel DELs leave nothing",
    async () => {
      using d = tempDir();
      const adds = await Promise.all(
        Array.from({ length: 50 }, (_, i) => call(TSCNI_HOST_LOCAL, conf(), d.path, { cmd: "ADD", id: `c${i}` })),
      );
      for (const r of adds) expect({ code: r.code, out: r.code === 0 ? "" : r.stdout }).toEqual({ code: 0, out: "" });
      const addrs = adds.map((r) => (r.json as { ips: { address: string }[] }).ips[0]?.address);
      expect(new Set(addrs).size).toBe(50);
      expect(reservations(d.path).length).toBe(50);
      const dels = await Promise.all(
        Array.from({ length: 50 }, (_, i) => call(TSCNI_HOST_LOCAL, conf(), d.path, { cmd: "DEL", id: `c${i}` })),
      );
      for (const r of dels) expect(r.code).toBe(0);
      expect(reservations(d.path)).toEqual([]);
      expect(readdirSync(join(d.path, "conc")).sort()).toEqual(["last_reserved_ip.0", "lock"]);
    },
    NETNS_TIMEOUT,
  );

  test(
    "a bounded mixed ADD/DEL/GC run ends consistent",
    async () => {
      using d = tempDir();
      const ids = Array.from({ length: 16 }, (_, i) => `m${i}`);
      const valid = ids.filter((_, i) => i % 2 === 0).map((containerID) => ({ containerID, ifname: "eth0" }));
      const deadline = Date.now() + 4_000;
      let n = 0;
      const worker = async (w: number): Promise<void> => {
        while (Date.now() < deadline) {
          const id = ids[(w * 7 + n++) % ids.length] ?? "m0";
          const pick = (w + n) % 5;
          const r =
            pick === 4
              ? await call(TSCNI_HOST_LOCAL, conf("10.20.0.0/27", { "cni.dev/valid-attachments": valid }), d.path, { cmd: "GC" })
              : await call(TSCNI_HOST_LOCAL, conf("10.20.0.0/27"), d.path, { cmd: pick < 2 ? "ADD" : "DEL", id });
          // ADD may fail only as a duplicate or on exhaustion; DEL and GC always succeed.
          if (r.code !== 0) expect(r.stdout).toMatch(/duplicate allocation is not allowed|no IP addresses available/);
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
      const owners = reservations(d.path).map((f) => readFileSync(join(d.path, "conc", f), "utf8"));
      for (const o of owners) expect(o).toMatch(/^m\d+\r\neth0$/);
      expect(new Set(owners).size).toBe(owners.length);
      // Everything left can be released, and the network works afterwards.
      const gc = await call(TSCNI_HOST_LOCAL, conf("10.20.0.0/27", { "cni.dev/valid-attachments": [] }), d.path, { cmd: "GC" });
      expect(gc.code).toBe(0);
      expect(reservations(d.path)).toEqual([]);
      expect((await call(TSCNI_HOST_LOCAL, conf("10.20.0.0/27"), d.path, { cmd: "ADD", id: "after" })).code).toBe(0);
    },
    NETNS_TIMEOUT,
  );

  test(
    "a lock held by flock(1) blocks tscni until released",
    async () => {
      using d = tempDir();
      expect((await call(TSCNI_HOST_LOCAL, conf(), d.path, { cmd: "ADD", id: "first" })).code).toBe(0);
      const lock = join(d.path, "conc", "lock");
      // flock(1) holds the lock while `cat` waits for its stdin: released when the test closes it.
      const holder = Bun.spawn(["flock", lock, "cat"], { stdin: "pipe", stdout: "ignore", stderr: "inherit" });
      const held = async (): Promise<boolean> => (await exec(["flock", "--nonblock", lock, "true"])).code !== 0;
      for (let i = 0; i < 2000 && !(await held()); i++) await Bun.sleep(5);
      expect(await held()).toBe(true);
      let finished = false;
      const second = call(TSCNI_HOST_LOCAL, conf(), d.path, { cmd: "ADD", id: "second" }).then((r) => {
        finished = true;
        return r;
      });
      // Ordered by events: while the lock is held the ADD has not finished or reserved anything.
      await Bun.sleep(300);
      const whileHeld = { finished, reservations: reservations(d.path).length };
      holder.stdin.end();
      await holder.exited;
      const r = await second;
      expect(whileHeld).toEqual({ finished: false, reservations: 1 });
      expect(r.code).toBe(0);
      expect(reservations(d.path).length).toBe(2);
    },
    NETNS_TIMEOUT,
  );
});

describe("host-local GC and STATUS through the binary", () => {
  test(
    "GC keeps only listed attachments; STATUS reports exhaustion as 50 only when opted in",
    async () => {
      using d = tempDir();
      const c = conf("10.30.0.0/29");
      for (const id of ["a", "b", "c"]) expect((await call(TSCNI_HOST_LOCAL, c, d.path, { cmd: "ADD", id })).code).toBe(0);
      const gcRun = (valid: unknown) =>
        runCni(TSCNI_HOST_LOCAL, {
          command: "GC",
          path: "/opt/cni/bin",
          stdin: { ...c, ipam: { ...c.ipam, dataDir: d.path }, "cni.dev/valid-attachments": valid },
        });
      const g = await gcRun([{ containerID: "a", ifname: "eth0" }, { containerID: "c", ifname: "eth0" }]);
      expect({ code: g.code, stdout: g.stdout }).toEqual({ code: 0, stdout: "" });
      expect(reservations(d.path).sort()).toEqual(["10.30.0.2", "10.30.0.4"]);

      const status = (failStatusWhenFull = true) =>
        runCni(TSCNI_HOST_LOCAL, { command: "STATUS", path: "/opt/cni/bin", stdin: { ...c, ipam: { ...c.ipam, dataDir: d.path, failStatusWhenFull } } });
      expect((await status()).code).toBe(0);
      for (const id of ["d", "e", "f", "g"]) await call(TSCNI_HOST_LOCAL, c, d.path, { cmd: "ADD", id });
      expect((await status(false)).code).toBe(0);
      const s = await status();
      expect(s.code).toBe(1);
      expect(s.json).toMatchObject({ code: 50, msg: "no IP addresses available in range set: 10.30.0.1-10.30.0.6" });
      expect((await gcRun([])).code).toBe(0);
      expect(reservations(d.path)).toEqual([]);
      expect(readdirSync(join(d.path, "conc")).sort()).toEqual(["last_reserved_ip.0", "lock"]);
      expect((await status()).code).toBe(0);
    },
    NETNS_TIMEOUT,
  );
});
