import { afterAll, describe, expect, test } from "bun:test";
import { allocateAll, allocateFromSet, candidates } from "../../../src/ipam/host-local/allocator.ts";
import { ipString, parseCIDR, parseIP } from "../../../src/ip/index.ts";
import type { DiskStore } from "../../../src/ipam/host-local/disk-store.ts";
import { canonicalizeRangeSet, type RangeInput, type RangeSet } from "../../../src/ipam/host-local/range.ts";
import { tempDir } from "../../harness.ts";
import { seededStore, type StoreSeed, storeFiles } from "./helpers.ts";

// The allocator runs against the store the plugin uses, each test in a network of its own.
const data = tempDir();
afterAll(() => data[Symbol.dispose]());
const fresh = (seed: StoreSeed = {}): DiskStore => seededStore(data.path, seed);

const ip = (s: string) => parseIP(s)!;
const set = (...ranges: (string | RangeInput)[]): RangeSet =>
  canonicalizeRangeSet(ranges.map((r) => (typeof r === "string" ? { subnet: parseCIDR(r)! } : r)));
const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
};
const next = (s: RangeSet, store: DiskStore, id = "c"): string =>
  allocateFromSet(store, s, 0, id, "eth0", undefined).address;

describe("round robin", () => {
  const s29 = set("10.0.0.0/29");

  test("fresh → .2; with .2 taken → .3", () => {
    expect(next(s29, fresh())).toBe("10.0.0.2/29");
    expect(next(s29, fresh({ files: { "10.0.0.2": "x\r\neth0" } }))).toBe("10.0.0.3/29");
  });

  test("last .5 → .6; last .5 with .6 taken → wraps to .2", () => {
    expect(next(s29, fresh({ last: { "0": "10.0.0.5" } }))).toBe("10.0.0.6/29");
    expect(next(s29, fresh({ last: { "0": "10.0.0.5" }, files: { "10.0.0.6": "x" } }))).toBe("10.0.0.2/29");
  });

  test("last outside the set or unparsable → start at the beginning", () => {
    expect(next(s29, fresh({ last: { "0": "10.0.0.128" } }))).toBe("10.0.0.2/29");
    expect(next(s29, fresh({ last: { "0": "10.0.0.5\n" } }))).toBe("10.0.0.2/29");
  });

  test("all taken except the last reserved → the last reserved", () => {
    const files = Object.fromEntries(["2", "4", "5", "6"].map((h) => [`10.0.0.${h}`, "x"]));
    expect(next(s29, fresh({ files, last: { "0": "10.0.0.3" } }))).toBe("10.0.0.3/29");
  });

  test("a /29 yields .2–.6 then the exhaustion error", () => {
    const store = fresh();
    const got = [1, 2, 3, 4, 5].map((i) => next(s29, store, `c${i}`));
    expect(got).toEqual(["10.0.0.2/29", "10.0.0.3/29", "10.0.0.4/29", "10.0.0.5/29", "10.0.0.6/29"]);
    expect(message(() => next(s29, store, "c6"))).toBe("no IP addresses available in range set: 10.0.0.1-10.0.0.6");
  });

  test("get, release, get → .2 then .3 (release keeps last_reserved)", () => {
    const store = fresh();
    expect(next(s29, store, "a")).toBe("10.0.0.2/29");
    store.releaseByID("a", "eth0");
    expect(next(s29, store, "b")).toBe("10.0.0.3/29");
  });

  test("multi-range set advances across ranges and cycles back", () => {
    const s = set("10.0.0.0/30", "10.0.1.0/30");
    expect(next(s, fresh())).toBe("10.0.0.2/30");
    expect(next(s, fresh({ last: { "0": "10.0.0.2" } }))).toBe("10.0.1.2/30");
    expect(next(s, fresh({ last: { "0": "10.0.1.2" } }))).toBe("10.0.0.2/30");
  });

  test("a gateway other than .1 leaves .1 allocatable first", () => {
    const s = set({ subnet: parseCIDR("10.0.0.0/29")!, gateway: ip("10.0.0.6") });
    expect(next(s, fresh())).toBe("10.0.0.1/29");
    expect([...candidates(s, undefined)].map((c) => ipString(c.ip))).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]);
  });

  test("a one-address range equal to its gateway terminates", () => {
    const s = set({ subnet: parseCIDR("10.0.0.0/24")!, rangeStart: ip("10.0.0.1"), rangeEnd: ip("10.0.0.1") });
    expect([...candidates(s, undefined)]).toEqual([]);
  });
});

describe("requested IPs and duplicates", () => {
  const s = set({ subnet: parseCIDR("192.168.1.0/29")! });

  test("a requested IP is allocated once, then refused", () => {
    const store = fresh();
    expect(allocateFromSet(store, s, 0, "a", "eth0", ip("192.168.1.5")).address).toBe("192.168.1.5/29");
    expect(store.lastReservedIP("0")).toBe("192.168.1.5");
    expect(message(() => allocateFromSet(store, s, 0, "b", "eth0", ip("192.168.1.5")))).toBe(
      "requested IP address 192.168.1.5 is not available in range set 192.168.1.1-192.168.1.6",
    );
  });

  test("the gateway cannot be requested", () => {
    expect(message(() => allocateFromSet(fresh(), s, 0, "a", "eth0", ip("192.168.1.1")))).toBe(
      "requested ip 192.168.1.1 is subnet's gateway",
    );
  });

  test("a second ADD of the same attachment is refused; another container gets .3", () => {
    const store = fresh();
    expect(next(s, store, "a")).toBe("192.168.1.2/29");
    expect(message(() => next(s, store, "a"))).toBe("192.168.1.2 has been allocated to a, duplicate allocation is not allowed");
    expect(next(s, store, "b")).toBe("192.168.1.3/29");
    expect(allocateFromSet(store, s, 0, "a", "eth1", undefined).address).toBe("192.168.1.4/29");
  });

  test("a legacy bare-ID file counts as a duplicate", () => {
    const store = fresh({ files: { "192.168.1.4": "a" } });
    expect(message(() => next(s, store, "a"))).toBe("192.168.1.4 has been allocated to a, duplicate allocation is not allowed");
  });
});

describe("allocateAll", () => {
  const sets = [set("10.1.2.0/24", "10.2.2.0/24"), set("2001:db8:1::/64")];

  test("one address per set, in set order", () => {
    const store = fresh();
    expect(allocateAll(store, sets, "dummy", "eth0", [])).toEqual([
      { address: "10.1.2.2/24", gateway: "10.1.2.1" },
      { address: "2001:db8:1::2/64", gateway: "2001:db8:1::1" },
    ]);
    expect(storeFiles(store)["10.1.2.2"]).toBe("dummy\r\neth0");
    expect([store.lastReservedIP("0"), store.lastReservedIP("1")]).toEqual(["10.1.2.2", "2001:db8:1::2"]);
  });

  test("requested IPs across families", () => {
    const got = allocateAll(fresh(), sets, "c", "eth0", [ip("10.2.2.88"), ip("2001:db8:1::999")]);
    expect(got.map((c) => c.address)).toEqual(["10.2.2.88/24", "2001:db8:1::999/64"]);
  });

  test("leftover requested IPs fail and release everything", () => {
    const store = fresh();
    expect(message(() => allocateAll(store, sets, "c", "eth0", [ip("10.1.2.88"), ip("10.1.2.77")]))).toBe(
      "failed to allocate all requested IPs: 10.1.2.77",
    );
    expect(storeFiles(store)).toEqual({});
    expect(message(() => allocateAll(store, sets, "c", "eth0", [ip("10.9.9.9")]))).toBe("failed to allocate all requested IPs: 10.9.9.9");
  });

  test("a failure in a later set releases the earlier ones", () => {
    const store = fresh({ files: { "2001:db8:1::5": "other" } });
    expect(message(() => allocateAll(store, sets, "c", "eth0", [ip("2001:db8:1::5")]))).toBe(
      "failed to allocate for range 1: requested IP address 2001:db8:1::5 is not available in range set 2001:db8:1::1-2001:db8:1:0:ffff:ffff:ffff:ffff",
    );
    expect(Object.keys(storeFiles(store))).toEqual(["2001:db8:1::5"]);
  });

  test("a failed retry gives back only what it reserved, never the live attachment's address", () => {
    // The attachment already holds an IPv6 address (e.g. from an ADD with an IPv6-only config);
    // the retried ADD reserves IPv4, then fails on the IPv6 duplicate.
    const store = fresh({ files: { "2001:db8:1::2": "c\r\neth0" } });
    expect(message(() => allocateAll(store, sets, "c", "eth0", []))).toBe(
      "failed to allocate for range 1: 2001:db8:1::2 has been allocated to c, duplicate allocation is not allowed",
    );
    expect(Object.keys(storeFiles(store))).toEqual(["2001:db8:1::2"]);
  });
});
