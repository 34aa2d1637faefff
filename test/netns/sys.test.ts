import { requireIsolatedHost, tempNetns, exec, NETNS_TIMEOUT } from "../harness.ts";
requireIsolatedHost();

import { describe, expect, test } from "bun:test";
import { NetNs, NetNsError, socketIn, closeFd, sysctlGet, sysctlSet, withNetnsSync } from "../../src/sys/index.ts";
import { readFileSync } from "node:fs";

describe("NetNs on a real namespace", () => {
  test(
    "open, sameAs, and identity with /proc/<pid>/ns/net",
    async () => {
      await using c = await tempNetns();
      using a = NetNs.open(c.path);
      using b = NetNs.open(c.path);
      using host = NetNs.current();
      expect(a.sameAs(b)).toBe(true);
      expect(a.sameAs(host)).toBe(false);
      const link = (await exec(["readlink", c.path])).stdout.trim();
      expect(link).toBe(`net:[${a.ino}]`);
    },
    NETNS_TIMEOUT,
  );

  test("a /run/netns bind mount opens like the reference's paths", async () => {
    const r = await exec(["ip", "netns", "add", "tscni-sys"]);
    expect(r.code).toBe(0);
    try {
      using ns = NetNs.open("/run/netns/tscni-sys");
      using host = NetNs.current();
      expect(ns.sameAs(host)).toBe(false);
    } finally {
      await exec(["ip", "netns", "del", "tscni-sys"]);
    }
  });

  test("error kinds for a missing and a non-netns path", () => {
    expect(() => NetNs.open("/run/netns/absent")).toThrow('failed to Statfs "/run/netns/absent": no such file or directory');
    // procfs passes the magic check, as in the reference (setns would refuse it later).
    using proc = NetNs.open("/proc/self/status");
    expect(proc.fd).toBeGreaterThan(2);
    try {
      NetNs.open("/run");
      throw new Error("expected failure");
    } catch (e) {
      expect(e).toBeInstanceOf(NetNsError);
      expect((e as NetNsError).message).toBe('unknown FS magic on "/run": 1021994');
    }
  });

  test(
    "withNetnsSync runs inside the namespace and comes back",
    async () => {
      await using c = await tempNetns();
      using ns = NetNs.open(c.path);
      using host = NetNs.current();
      const inside = withNetnsSync(ns, () => {
        using here = NetNs.current();
        return here.sameAs(ns);
      });
      expect(inside).toBe(true);
      using after = NetNs.current();
      expect(after.sameAs(host)).toBe(true);
      // A socket opened there stays there: its namespace is visible through /proc/self/fd.
      const fd = socketIn(ns, 0);
      try {
        expect(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8")).toContain("flags:");
      } finally {
        closeFd(fd);
      }
    },
    NETNS_TIMEOUT,
  );
});

describe("sysctl", () => {
  test(
    "read and write inside a container netns without touching the host's value",
    async () => {
      await using c = await tempNetns();
      using ns = NetNs.open(c.path);
      const hostBefore = sysctlGet("net.ipv4.ip_forward");
      sysctlSet("net/ipv4/ip_forward", "1", ns);
      expect(sysctlGet("net.ipv4.ip_forward", ns)).toBe("1");
      expect((await c.run(["cat", "/proc/sys/net/ipv4/ip_forward"])).stdout.trim()).toBe("1");
      expect(sysctlGet("net.ipv4.ip_forward")).toBe(hostBefore);
      sysctlSet("net.ipv6.conf.lo.disable_ipv6", "1", ns);
      expect((await c.run(["cat", "/proc/sys/net/ipv6/conf/lo/disable_ipv6"])).stdout.trim()).toBe("1");
    },
    NETNS_TIMEOUT,
  );

  test("a missing key throws ENOENT", () => {
    expect(() => sysctlGet("net/ipv4/conf/nope0/arp_notify")).toThrow();
  });
});
