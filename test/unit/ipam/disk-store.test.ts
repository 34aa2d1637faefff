import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../harness.ts";
import { DiskStore } from "../../../src/ipam/host-local/disk-store.ts";
import { hostLocal, hostLocalAdd } from "../../../src/ipam/host-local/plugin.ts";
import { cmdArgs } from "./helpers.ts";

const mode = (p: string): number => statSync(p).mode & 0o777;

describe("disk store format", () => {
  test("ADD writes <id>\\r\\n<ifname> 0600, last_reserved_ip without newline, an empty 0750 lock", async () => {
    using tmp = tempDir();
    const conf = { cniVersion: "1.1.0", name: "mynet", ipam: { dataDir: tmp.path, ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "2001:db8:1::/64" }]] } };
    const r = await hostLocal.add(cmdArgs("ADD", conf, { containerId: "dummy" }));
    expect(r.ips?.map((i) => i.address)).toEqual(["10.1.2.2/24", "2001:db8:1::2/64"]);
    const dir = join(tmp.path, "mynet");
    expect(readdirSync(dir).sort()).toEqual(["10.1.2.2", "2001:db8:1::2", "last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
    expect(readFileSync(join(dir, "10.1.2.2"), "utf8")).toBe("dummy\r\neth0");
    expect(readFileSync(join(dir, "last_reserved_ip.1"), "utf8")).toBe("2001:db8:1::2");
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe("");
    expect(mode(join(dir, "10.1.2.2"))).toBe(0o600);
    expect(mode(join(dir, "last_reserved_ip.0"))).toBe(0o600);
    expect(mode(join(dir, "lock"))).toBe(0o750);
    expect(mode(dir)).toBe(0o755);
    await hostLocal.del(cmdArgs("DEL", conf, { containerId: "dummy" }));
    expect(readdirSync(dir).sort()).toEqual(["last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
  });

  test("DEL and CHECK create the network dir and lock too", async () => {
    using tmp = tempDir();
    const conf = { cniVersion: "1.0.0", name: "n", ipam: { dataDir: tmp.path, subnet: "10.0.0.0/24" } };
    await hostLocal.del(cmdArgs("DEL", conf));
    expect(readdirSync(join(tmp.path, "n"))).toEqual(["lock"]);
    using tmp2 = tempDir();
    const conf2 = { ...conf, ipam: { ...conf.ipam, dataDir: tmp2.path } };
    await expect(hostLocal.check(cmdArgs("CHECK", conf2, { containerId: "nope" }))).rejects.toThrow(
      "host-local: Failed to find address added by container nope",
    );
    expect(readdirSync(join(tmp2.path, "n"))).toEqual(["lock"]);
  });

  test("matching trims content; legacy files; other ifnames untouched", () => {
    using tmp = tempDir();
    const s = new DiskStore(tmp.path, "n");
    writeFileSync(join(s.dir, "10.0.0.2"), "  a\r\neth0\n");
    writeFileSync(join(s.dir, "10.0.0.3"), "a\r\neth1");
    writeFileSync(join(s.dir, "10.0.0.4"), "b");
    writeFileSync(join(s.dir, "last_reserved_ip.0"), "b");
    expect(s.getByID("a", "eth0")).toEqual(["10.0.0.2"]);
    expect(s.findByID("b", "eth0")).toBe(true);
    s.releaseByID("a", "eth0");
    expect(readdirSync(s.dir).sort()).toEqual(["10.0.0.3", "10.0.0.4", "last_reserved_ip.0", "lock"]);
    s.releaseByID("b", "eth0");
    expect(readdirSync(s.dir).sort()).toEqual(["10.0.0.3", "last_reserved_ip.0", "lock"]);
    expect(s.reservations()).toEqual([{ ip: "10.0.0.3", containerId: "a", ifname: "eth1", reservedAtMs: expect.any(Number) }]);
  });

  test("a container ID equal to an IP never matches last_reserved_ip", () => {
    using tmp = tempDir();
    const s = new DiskStore(tmp.path, "n");
    writeFileSync(join(s.dir, "last_reserved_ip.0"), "10.0.0.2");
    expect(s.findByID("10.0.0.2", "eth0")).toBe(false);
    s.releaseByID("10.0.0.2", "eth0");
    expect(readdirSync(s.dir).sort()).toEqual(["last_reserved_ip.0", "lock"]);
  });

  test("symlinks in the network dir are neither read nor followed", () => {
    using tmp = tempDir();
    const s = new DiskStore(tmp.path, "n");
    writeFileSync(join(tmp.path, "outside"), "a\r\neth0");
    symlinkSync(join(tmp.path, "outside"), join(s.dir, "10.0.0.9"));
    expect(s.findByID("a", "eth0")).toBe(false);
    s.releaseByID("a", "eth0");
    expect(readFileSync(join(tmp.path, "outside"), "utf8")).toBe("a\r\neth0");
    // reserve() refuses to write through a planted link (O_EXCL does not follow it)
    expect(s.reserve("b", "eth0", "10.0.0.9", "0")).toBe(false);
    expect(readFileSync(join(tmp.path, "outside"), "utf8")).toBe("a\r\neth0");
  });

  test("files in subdirectories are released like the reference's recursive walk", () => {
    using tmp = tempDir();
    const s = new DiskStore(tmp.path, "n");
    mkdirSync(join(s.dir, "sub"));
    writeFileSync(join(s.dir, "sub", "10.0.0.7"), "a\r\neth0");
    s.releaseByID("a", "eth0");
    expect(readdirSync(join(s.dir, "sub"))).toEqual([]);
  });

  test("an unreadable resolvConf fails with Go's wording before any state is written", async () => {
    using tmp = tempDir();
    const conf = { cniVersion: "1.0.0", name: "n", ipam: { dataDir: tmp.path, subnet: "10.0.0.0/24", resolvConf: "/nonexist" } };
    await expect(hostLocalAdd(cmdArgs("ADD", conf))).rejects.toThrow("open /nonexist: no such file or directory");
    await expect(hostLocalAdd(cmdArgs("ADD", { ...conf, ipam: { ...conf.ipam, resolvConf: tmp.path } }))).rejects.toThrow(
      `read ${tmp.path}: is a directory`,
    );
    expect(readdirSync(tmp.path)).toEqual([]);
  });

  test("release(r) frees an address only while it holds what was read", () => {
    using tmp = tempDir();
    const s = new DiskStore(tmp.path, "n");
    expect(s.reserve("a", "eth0", "10.0.0.2", "0")).toBe(true);
    writeFileSync(join(s.dir, "10.0.0.3"), "legacy");
    const [r2, r3] = s.reservations();
    expect(r2).toMatchObject({ ip: "10.0.0.2", containerId: "a", ifname: "eth0", reservedAtMs: statSync(join(s.dir, "10.0.0.2")).mtimeMs });
    expect(r3).toMatchObject({ ip: "10.0.0.3", containerId: "legacy" });
    expect(s.release({ ip: "10.0.0.2", containerId: "a", ifname: "eth1" })).toBe(false);
    expect(s.release({ ip: "10.0.0.3", containerId: "legacy", ifname: "eth0" })).toBe(false);
    // freed and taken again by the same owner since it was read: a different write
    utimesSync(join(s.dir, "10.0.0.2"), new Date(0), new Date(0));
    expect(s.release(r2!)).toBe(false);
    expect(s.release({ ...r2!, reservedAtMs: undefined })).toBe(true);
    expect(s.release(r3!)).toBe(true);
    expect(s.release(r3!)).toBe(false);
    expect(readdirSync(s.dir).sort()).toEqual(["last_reserved_ip.0", "lock"]);
  });

  test("opened with create: false, a network that never ran has no reservations and stays absent", () => {
    using tmp = tempDir();
    const s = new DiskStore(tmp.path, "never", { create: false });
    expect(s.reservations()).toEqual([]);
    expect(s.findByID("a", "eth0")).toBe(false);
    expect(existsSync(s.dir)).toBe(false);
  });

  test("IPs come back canonical; only top-level address names are reservations, subdirectories still match", () => {
    using tmp = tempDir();
    const s = new DiskStore(tmp.path, "n");
    writeFileSync(join(s.dir, "2001:DB8:0::5"), "a\r\neth0");
    writeFileSync(join(s.dir, "notes"), "a\r\neth0");
    mkdirSync(join(s.dir, "sub"));
    writeFileSync(join(s.dir, "sub", "10.0.0.7"), "a\r\neth0");
    expect(s.getByID("a", "eth0")).toEqual(["2001:db8::5", "10.0.0.7"]);
    expect(s.reservations().map((r) => r.ip)).toEqual(["2001:DB8:0::5"]);
  });
});
