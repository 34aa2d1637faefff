/**
 * What Debian's v1.1.1 cannot show: spec 1.1.0 output of host-local, checked against goldens
 * written from the checklist (§1.8, §4 B.19: route extras; §2.2.9 and the issue: GC/STATUS), plus
 * a mutation check that the differential normaliser still catches a wrong address or gateway.
 */
import { describe, expect, test } from "bun:test";
import { NETNS_TIMEOUT, requireIsolatedHost, tempDir } from "../harness.ts";
import { call, TSCNI_HOST_LOCAL } from "../fixtures/host-local/support.ts";
import { normaliseReferenceStdout } from "./normalize.ts";

requireIsolatedHost();

const routes = [
  { dst: "0.0.0.0/0", gw: "10.1.2.1", mtu: 1400, advmss: 1360, priority: 10, table: 0, scope: 0 },
  { dst: "192.168.0.0/16", mtu: 0, advmss: 0, priority: 0 },
];
const conf = (version: string) => ({
  cniVersion: version,
  name: "spec",
  ipam: { type: "host-local", ranges: [[{ subnet: "10.1.2.0/24" }]], routes },
});

describe("host-local route extras (checklist §4 B.19)", () => {
  test(
    "1.1.0: sorted keys, non-zero mtu/advmss/priority and set table/scope kept, dns omitted",
    async () => {
      using d = tempDir();
      const r = await call(TSCNI_HOST_LOCAL, conf("1.1.0"), d.path, { cmd: "ADD", id: "a" });
      expect(r.stdout).toBe(
        JSON.stringify(
          {
            cniVersion: "1.1.0",
            ips: [{ address: "10.1.2.2/24", gateway: "10.1.2.1" }],
            routes: [
              { advmss: 1360, dst: "0.0.0.0/0", gw: "10.1.2.1", mtu: 1400, priority: 10, scope: 0, table: 0 },
              { dst: "192.168.0.0/16" },
            ],
          },
          null,
          4,
        ),
      );
    },
    NETNS_TIMEOUT,
  );

  test(
    "0.4.0 keeps the extras in struct order; 0.2.0 keeps dst/gw only",
    async () => {
      using d = tempDir();
      const r4 = await call(TSCNI_HOST_LOCAL, conf("0.4.0"), d.path, { cmd: "ADD", id: "a" });
      expect(r4.stdout).toBe(
        JSON.stringify(
          {
            cniVersion: "0.4.0",
            ips: [{ version: "4", address: "10.1.2.2/24", gateway: "10.1.2.1" }],
            routes: [
              { dst: "0.0.0.0/0", gw: "10.1.2.1", mtu: 1400, advmss: 1360, priority: 10, table: 0, scope: 0 },
              { dst: "192.168.0.0/16" },
            ],
            dns: {},
          },
          null,
          4,
        ),
      );
      const r2 = await call(TSCNI_HOST_LOCAL, conf("0.2.0"), d.path, { cmd: "ADD", id: "b" });
      expect(r2.stdout).toBe(
        JSON.stringify(
          {
            cniVersion: "0.2.0",
            ip4: {
              ip: "10.1.2.3/24",
              gateway: "10.1.2.1",
              routes: [{ dst: "0.0.0.0/0", gw: "10.1.2.1" }, { dst: "192.168.0.0/16" }],
            },
            dns: {},
          },
          null,
          4,
        ),
      );
    },
    NETNS_TIMEOUT,
  );
});

describe("GC and STATUS gating", () => {
  test(
    "GC/STATUS below 1.1.0 are refused by the version gate; at 1.1.0 they succeed silently",
    async () => {
      using d = tempDir();
      for (const cmd of ["GC", "STATUS"] as const) {
        const old = await call(TSCNI_HOST_LOCAL, conf("1.0.0"), d.path, { cmd });
        expect(old.json).toMatchObject({ code: 1, msg: `config version does not allow ${cmd}` });
        const ok = await call(TSCNI_HOST_LOCAL, conf("1.1.0"), d.path, { cmd });
        expect({ code: ok.code, stdout: ok.stdout }).toEqual({ code: 0, stdout: "" });
      }
    },
    NETNS_TIMEOUT,
  );
});

describe("normaliser mutation check", () => {
  const reply = (doc: unknown) => ({ stdout: JSON.stringify(doc, null, 4), stderr: "", code: 0, json: doc });
  const base = { cniVersion: "1.0.0", ips: [{ address: "10.1.2.2/24", gateway: "10.1.2.1" }], dns: {} };
  const normal = normaliseReferenceStdout(reply(base), "1.0.0");

  test.each([
    ["address", { ...base, ips: [{ address: "10.1.2.3/24", gateway: "10.1.2.1" }] }],
    ["gateway", { ...base, ips: [{ address: "10.1.2.2/24", gateway: "10.1.2.254" }] }],
    ["prefix", { ...base, ips: [{ address: "10.1.2.2/16", gateway: "10.1.2.1" }] }],
    ["dns", { ...base, dns: { nameservers: ["10.0.0.53"] } }],
  ])("a wrong %s is still caught", (_what, mutated) => {
    expect(normaliseReferenceStdout(reply(mutated), "1.0.0")).not.toBe(normal);
  });
});
