/**
 * A member that hands its prevResult on prints it back; the executor then keeps the result it
 * gave instead of decoding the bytes (members.ts, decodeResult). That is only right if decoding
 * those bytes would give the same result, key order included: this proves it for results of every
 * version family, printed back in their own order and sorted (the order a member sees after
 * libcni's runtimeConfig injection), and that other bytes are still decoded.
 */
import { describe, expect, test } from "bun:test";
import { goMarshalIndent } from "../../../src/cni/index.ts";
import { Members, sortDeep } from "../../../src/runtime/index.ts";

const RESULTS: [string, object][] = [
  [
    "1.0.0",
    {
      cniVersion: "1.0.0",
      interfaces: [{ name: "cni0", mac: "aa:bb:cc:dd:ee:ff" }, { name: "veth1", mac: "aa:bb:cc:dd:ee:00" }, { name: "eth0", mac: "aa:bb:cc:dd:ee:01", sandbox: "/run/netns/p1" }],
      ips: [
        { interface: 2, address: "10.88.0.5/16", gateway: "10.88.0.1" },
        { interface: 2, address: "fd00:88::5/64", gateway: "fd00:88::1" },
      ],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0", gw: "fd00:88::1" }],
      dns: { nameservers: ["10.0.0.10"], domain: "a<b>&c.svc", search: ["x"], options: ["ndots:5"] },
    },
  ],
  [
    "1.1.0",
    {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", mtu: 1400, socketPath: "/s", pciID: "0000:00:01.0" }],
      ips: [{ address: "10.1.0.2/24", interface: 0 }],
      routes: [{ dst: "10.2.0.0/16", gw: "10.1.0.1", mtu: 1300, advmss: 1200, priority: 5, table: 100, scope: 0 }],
    },
  ],
  ["1.0.0 (bare)", { cniVersion: "1.0.0", ips: [{ address: "10.1.0.2/24" }] }],
  [
    "0.4.0",
    {
      cniVersion: "0.4.0",
      interfaces: [{ name: "eth0", sandbox: "/run/netns/p1" }],
      ips: [{ version: "4", interface: 0, address: "10.1.0.2/24", gateway: "10.1.0.1" }, { version: "6", address: "fd00::2/64" }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }],
      dns: {},
    },
  ],
  ["0.3.1", { cniVersion: "0.3.1", ips: [{ version: "4", address: "10.1.0.2/24" }], dns: { nameservers: ["1.1.1.1"] } }],
  [
    "0.2.0",
    {
      cniVersion: "0.2.0",
      ip4: { ip: "10.1.0.2/24", gateway: "10.1.0.1", routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }] },
      ip6: { ip: "fd00::2/64", routes: [{ dst: "::/0" }] },
      dns: { domain: "d" },
    },
  ],
  ["0.1.0", { cniVersion: "0.1.0", ip4: { ip: "10.1.0.2/24" } }],
];

const text = (v: unknown): string => JSON.stringify(v);

describe("a result printed back decodes to itself", () => {
  for (const [name, raw] of RESULTS) {
    test(name, () => {
      const version = (raw as { cniVersion: string }).cniVersion;
      const given = Members.decodeResult(JSON.stringify(raw), version);
      for (const printed of [goMarshalIndent(given.result), goMarshalIndent(sortDeep(given.result))]) {
        const decoded = Members.decodeResult(printed, version);
        expect(text(decoded)).toBe(text(given));
        const kept = Members.decodeResult(printed, version, given);
        expect(kept.result).toBe(given.result);
        expect(text(kept)).toBe(text(decoded));
      }
    });
  }
});

test("other bytes are decoded, not replaced by the given result", () => {
  const [, raw] = RESULTS[0] as [string, object];
  const given = Members.decodeResult(JSON.stringify(raw), "1.0.0");
  const other = { cniVersion: "1.0.0", ips: [{ address: "10.88.0.6/16" }] };
  const decoded = Members.decodeResult(goMarshalIndent(other), "1.0.0", given);
  expect(decoded.result).not.toBe(given.result);
  expect(text(decoded.result)).toBe(text(other));
  // Same length, different value: still decoded.
  const sameLength = goMarshalIndent(given.result).replace("10.88.0.5/16", "10.88.0.6/16");
  expect(Members.decodeResult(sameLength, "1.0.0", given).result.ips).toEqual([
    { address: "10.88.0.6/16", gateway: "10.88.0.1", interface: 2 },
    { address: "fd00:88::5/64", gateway: "fd00:88::1", interface: 2 },
  ]);
});
