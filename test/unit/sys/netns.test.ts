import { describe, expect, test } from "bun:test";
import { statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NetNs, NetNsError, sysctlPath, withNetnsSync } from "../../../src/sys/index.ts";
import { tempDir } from "../../harness.ts";

describe("NetNs.open errors carry the reference's messages", () => {
  test("missing path: not-found, `failed to Statfs`", () => {
    let err: unknown;
    try {
      NetNs.open("/nonexistent/netns");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetNsError);
    expect((err as NetNsError).kind).toBe("not-found");
    expect((err as NetNsError).message).toBe('failed to Statfs "/nonexistent/netns": no such file or directory');
  });

  test("a file on another filesystem: not-netns, `unknown FS magic`", () => {
    using dir = tempDir();
    const f = join(dir.path, "plain");
    writeFileSync(f, "");
    const magic = statfsSync(f).type.toString(16);
    expect(() => NetNs.open(f)).toThrow(`unknown FS magic on "${f}": ${magic}`);
    try {
      NetNs.open(dir.path);
    } catch (e) {
      expect((e as NetNsError).kind).toBe("not-netns");
    }
  });

  test("the current netns is the same as itself and as /proc/self/ns/net", () => {
    using a = NetNs.current();
    using b = NetNs.open("/proc/self/ns/net");
    expect(a.sameAs(b)).toBe(true);
  });
});

describe("withNetnsSync", () => {
  test("refuses an async function before switching", () => {
    using here = NetNs.current();
    let ran = false;
    expect(() =>
      withNetnsSync(here, async () => {
        ran = true;
      }),
    ).toThrow("synchronous");
    expect(ran).toBe(false);
  });

  test("refuses a function that returns a Promise", () => {
    using here = NetNs.current();
    expect(() => withNetnsSync(here, () => Promise.resolve(1))).toThrow("Promise");
  });

  test("returns the function's value", () => {
    using here = NetNs.current();
    expect(withNetnsSync(here, () => 42)).toBe(42);
  });
});

describe("sysctlPath", () => {
  test("dotted and slashed names", () => {
    expect(sysctlPath("net.ipv4.ip_forward")).toBe("/proc/sys/net/ipv4/ip_forward");
    expect(sysctlPath("net/ipv4/ip_forward")).toBe("/proc/sys/net/ipv4/ip_forward");
    expect(sysctlPath("/proc/sys/net/ipv6/conf/all/forwarding")).toBe("/proc/sys/net/ipv6/conf/all/forwarding");
  });
  test("interface names with dots", () => {
    expect(sysctlPath("net/ipv6/conf/br0.100/accept_ra")).toBe("/proc/sys/net/ipv6/conf/br0.100/accept_ra");
    expect(sysctlPath("net.ipv6.conf.br0/100.accept_ra")).toBe("/proc/sys/net/ipv6/conf/br0.100/accept_ra");
  });
  test("no escaping /proc/sys", () => {
    expect(() => sysctlPath("net/../../etc/passwd")).toThrow("invalid sysctl name");
  });
});
