/**
 * doctor's ipam-exhausted check: a host-local range set with no free address is reported (STATUS no
 * longer fails for it), and doctor never creates a reservation dir while looking.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pluginEntry } from "../../../plugins/registry.ts";
import { exhaustionChecks } from "../../../src/cli/doctor-ipam.ts";
import { describeLists } from "../../../src/cli/gc-ipam.ts";
import { parseConfList } from "../../../src/runtime/conf.ts";
import { tempDir } from "../../harness.ts";

async function described(dataDir: string, subnet: string) {
  return await describeLists([list(dataDir, subnet)], pluginEntry);
}

function list(dataDir: string, subnet: string) {
  const conf = {
    cniVersion: "1.1.0",
    name: "pods",
    plugins: [{ type: "bridge", bridge: "cni9", ipam: { type: "host-local", dataDir, ranges: [[{ subnet }]] } }],
  };
  return parseConfList(new TextEncoder().encode(JSON.stringify(conf)));
}

function reserve(dataDir: string, ips: readonly string[]): void {
  mkdirSync(join(dataDir, "pods"), { recursive: true });
  ips.forEach((ip, i) => writeFileSync(join(dataDir, "pods", ip), `ctr${i}\r\neth0`));
}

describe("ipam-exhausted", () => {
  test("a /30 whose one usable address is taken is a warning naming the network and the range", async () => {
    using d = tempDir();
    // 10.9.0.0/30: .1 is the gateway, .2 the only address host-local hands out (.3 is broadcast).
    reserve(d.path, ["10.9.0.2"]);
    const checks = exhaustionChecks(await described(d.path, "10.9.0.0/30"));
    expect(checks.map((c) => [c.id, c.severity])).toEqual([["ipam-exhausted", "warning"]]);
    expect(checks[0]?.detail).toContain('network "pods"');
    expect(checks[0]?.detail).toContain("range set 10.9.0.1-10.9.0.2 ");
    expect(checks[0]?.fix).toContain("tscni gc");
  });

  test("a range with a free address is ok", async () => {
    using d = tempDir();
    reserve(d.path, ["10.9.0.2"]);
    expect(exhaustionChecks(await described(d.path, "10.9.0.0/29")).map((c) => c.severity)).toEqual(["ok"]);
  });

  test("a network that never ran stays untouched: no dir is created by looking", async () => {
    using d = tempDir();
    expect(exhaustionChecks(await described(d.path, "10.9.0.0/30")).map((c) => c.severity)).toEqual(["ok"]);
    expect(existsSync(join(d.path, "pods"))).toBe(false);
  });
});
