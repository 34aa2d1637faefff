/**
 * portmap at the plugin level, in-process with fake tools and a fake kernel: validation order and
 * messages (the order and wording v1.9.1 uses, so a runtime sees the same first error), what each
 * verb runs, and the no-exec paths.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Result } from "../../../src/cni/index.ts";
import { portmapDnatChainName } from "../../../src/firewall/names.ts";
import { portmapProblems } from "../../../plugins/portmap/config.ts";
import { makePortmap } from "../../../plugins/portmap/index.ts";
import { args, errorOf, fake, mappings, prevResult, withMappings } from "./portmap-fixtures.ts";

const lockDir = mkdtempSync(join(tmpdir(), "tscni-pm-unit-"));
afterAll(() => rmSync(lockDir, { recursive: true, force: true }));

describe("config validation order and messages", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["wrong type", withMappings({ snat: "yes" }), "failed to parse config: failed to parse network configuration: json: cannot unmarshal string into Go struct field PortMapConf.snat of type bool"],
    [
      "prevResult of another version family",
      { prevResult: { ...prevResult, cniVersion: "0.4.0" }, markMasqBit: 99 },
      'failed to parse config: could not parse prevResult: could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
    ],
    ["mark chain and bit", withMappings({ markMasqBit: 99, externalSetMarkChain: "X" }), "failed to parse config: Cannot specify externalSetMarkChain and markMasqBit"],
    ["mark bit range", withMappings({ markMasqBit: 32, backend: "ebpf" }), "failed to parse config: MasqMarkBit must be between 0 and 31"],
    [
      "backend conflict before ports",
      withMappings({ backend: "nftables", externalSetMarkChain: "X", conditionsV4: ["-s", "1.2.3.4"] }, [{ hostPort: 0, containerPort: 0, protocol: "tcp" }]),
      "failed to parse config: nftables backend was requested but configuration contains iptables-specific options [externalSetMarkChain conditionsV4]",
    ],
    ["unknown backend", withMappings({ backend: "ebpf" }), 'failed to parse config: unrecognized backend "ebpf"'],
    [
      "container port first, entry by entry",
      withMappings({}, [{ hostPort: 0, containerPort: 80, protocol: "tcp" }, { hostPort: 80, containerPort: 0, protocol: "tcp" }]),
      "failed to parse config: Invalid host port number: 0",
    ],
    ["container port", withMappings({}, [{ hostPort: 0, containerPort: -1, protocol: "tcp" }]), "failed to parse config: Invalid container port number: -1"],
    ["missing fields are Go zero values", withMappings({}, [{}]), "failed to parse config: Invalid container port number: 0"],
    ["tscni: port above 65535", withMappings({}, [{ hostPort: 70000, containerPort: 80, protocol: "tcp" }]), "failed to parse config: Invalid host port number: 70000"],
    ["tscni: protocol", withMappings({}, [{ hostPort: 80, containerPort: 80, protocol: "bogus" }]), 'failed to parse config: unknown protocol "bogus" specified'],
    ["tscni: empty protocol", withMappings({}, [{ hostPort: 80, containerPort: 80 }]), 'failed to parse config: unknown protocol "" specified'],
    ["tscni: host IP", withMappings({}, [{ hostPort: 80, containerPort: 80, protocol: "tcp", hostIP: "1.2.3.4;x" }]), 'failed to parse config: invalid host IP "1.2.3.4;x"'],
  ];

  test.each(cases)("ADD: %s", async (_name, config, msg) => {
    const f = fake(lockDir);
    const e = await errorOf(makePortmap(f.deps).add(args("ADD", config)));
    expect(e.code).toBe(999);
    expect(e.msg.startsWith(msg)).toBe(true);
    expect(f.calls).toEqual([]);
    expect(f.kernel).toEqual([]);
  });

  test.each(cases)("DEL carries the same prefix, CHECK none: %s", async (_name, config, msg) => {
    const del = await errorOf(makePortmap(fake(lockDir).deps).del(args("DEL", config)));
    expect(del.msg.startsWith(msg)).toBe(true);
    const check = await errorOf(makePortmap(fake(lockDir).deps).check(args("CHECK", config)));
    expect(check.msg.startsWith(msg.slice("failed to parse config: ".length))).toBe(true);
  });

  test("nft-style conditions without a backend select nftables (tscni)", async () => {
    const f = fake(lockDir);
    await makePortmap(f.deps).add(args("ADD", withMappings({ conditionsV4: ["ip", "saddr", "10.1.0.0/16"] })));
    expect(f.probed).toEqual([]);
    expect(f.calls.filter((c) => c.argv.includes("-f")).length).toBe(1);
  });

  test("a verdict in conditions: ADD and CHECK refuse it (code 7) before any tool runs; DEL still cleans up; validate reports it", async () => {
    for (const extra of [{ backend: "nftables", conditionsV4: ["ip", "saddr", "10.0.0.0/8", "drop"] }, { conditionsV4: ["drop"] }, { backend: "iptables", conditionsV6: ["-s", "fd00::/8", "-j", "DROP"] }]) {
      const what = "conditionsV4" in extra ? "conditionsV4" : "conditionsV6";
      const token = what === "conditionsV4" ? "drop" : "-j";
      const expected = { code: 7, msg: `${what}: ${JSON.stringify(token)} is not allowed: conditions may only match packets (no verdict, target or statement)` };
      for (const command of ["ADD", "CHECK"] as const) {
        const f = fake(lockDir);
        const plugin = makePortmap(f.deps);
        const call = command === "ADD" ? plugin.add(args(command, withMappings(extra))) : plugin.check(args(command, withMappings(extra)));
        expect({ extra, command, ...(await errorOf(call)), calls: f.calls }).toEqual({ extra, command, ...expected, calls: [] });
      }
      const f = fake(lockDir);
      await makePortmap(f.deps).del(args("DEL", withMappings(extra)));
      expect(f.calls.length).toBeGreaterThan(0);
      expect(await portmapProblems({ cniVersion: "1.0.0", name: "test", type: "portmap", ...withMappings(extra) }, "1.0.0")).toEqual([{ path: what, message: expected.msg }]);
    }
  });

  test("conditions are not read by an ADD without mappings (nothing is written; v1.9.1 succeeds too)", async () => {
    const f = fake(lockDir);
    await makePortmap(f.deps).add(args("ADD", { backend: "nftables", conditionsV4: ["drop"], prevResult }));
    expect(f.calls).toEqual([]);
  });

  test("no mappings, iptables-style conditions, no backend: the probe still picks the backend, and a conflict fails ADD, CHECK and DEL as in v1.9.1", async () => {
    const config = { conditionsV4: ["-s", "10.0.0.0/8"], prevResult };
    const conflict = "nftables backend was requested but configuration contains iptables-specific options [conditionsV4]";
    // A node whose iptables is unusable (nft-only): nftables is the reference's choice, and it conflicts.
    const nftOnly = { usable: (b: string) => b !== "iptables" };
    for (const command of ["ADD", "CHECK", "DEL"] as const) {
      const f = fake(lockDir, nftOnly);
      const plugin = makePortmap(f.deps);
      const call = command === "ADD" ? plugin.add(args(command, config)) : command === "CHECK" ? plugin.check(args(command, config)) : plugin.del(args(command, config));
      const prefix = command === "CHECK" ? "" : "failed to parse config: ";
      expect({ command, ...(await errorOf(call)), calls: f.calls, kernel: f.kernel }).toEqual({ command, code: 999, msg: prefix + conflict, calls: [], kernel: [] });
      expect(f.probed).toContain("iptables");
    }
    // Where iptables is usable it is the choice, the conditions agree, and nothing is written.
    const f = fake(lockDir);
    const r = await makePortmap(f.deps).add(args("ADD", config));
    expect(r.ips?.length).toBe(3);
    expect(f.probed).toEqual(["iptables"]);
    expect(f.calls).toEqual([]);
  });

  test("keys match case-insensitively, as Go does", async () => {
    const f = fake(lockDir);
    await makePortmap(f.deps).add(args("ADD", { PrevResult: prevResult, RuntimeConfig: { PortMappings: mappings }, SNAT: false }));
    const batch = f.calls.find((c) => c.argv.some((a) => a.endsWith("-restore")))?.stdin ?? "";
    expect(batch).toContain("--to-destination 10.0.0.2:80");
    expect(batch).not.toContain("CNI-HOSTPORT-SETMARK");
  });
});

describe("ADD", () => {
  test("without prevResult: must be called as chained plugin", async () => {
    const e = await errorOf(makePortmap(fake(lockDir).deps).add(args("ADD", { runtimeConfig: { portMappings: mappings } })));
    expect(e).toEqual({ code: 999, msg: "must be called as chained plugin" });
  });

  test("no mappings: prevResult back, no exec and no probe at all", async () => {
    const f = fake(lockDir);
    const r = await makePortmap(f.deps).add(args("ADD", { prevResult }));
    expect(r.ips?.map((i) => i.address)).toEqual(["10.0.0.1/24", "10.0.0.2/24", "2001:db8:1::2/64"]);
    expect(f.calls).toEqual([]);
    expect(f.probed).toEqual([]);
    expect(f.kernel).toEqual([]);
  });

  test("ifname that matches nothing: success, no rules", async () => {
    const f = fake(lockDir);
    await makePortmap(f.deps).add(args("ADD", withMappings({ backend: "iptables" }), "eth9"));
    expect(f.calls).toEqual([]);
  });

  test("iptables: one save and one restore per family; conntrack for UDP ports; route_localnet", async () => {
    const f = fake(lockDir);
    const r: Result = await makePortmap(f.deps).add(args("ADD", withMappings()));
    expect(r.cniVersion).toBe("1.0.0");
    const tools = f.calls.map((c) => c.argv.find((a) => /tables-(save|restore)$/.test(a)));
    expect(tools).toEqual(["iptables-save", "iptables-restore", "ip6tables-save", "ip6tables-restore"]);
    expect(f.kernel).toEqual(["conntrack 4 8053", "conntrack 6 8053", "route 10.0.0.2", "route_localnet cni0"]);
  });

  test("nftables: one transaction for both families", async () => {
    const f = fake(lockDir);
    await makePortmap(f.deps).add(args("ADD", withMappings({ backend: "nftables" })));
    const applies = f.calls.filter((c) => c.argv.includes("-f"));
    expect(applies.length).toBe(1);
    expect(applies[0]?.stdin).toContain("add table ip cni_hostport");
    expect(applies[0]?.stdin).toContain("add table ip6 cni_hostport");
  });

  test("snat false: no route_localnet; conntrack failure is only logged", async () => {
    const f = fake(lockDir, { conntrackFails: true });
    await makePortmap(f.deps).add(args("ADD", withMappings({ snat: false })));
    expect(f.kernel.some((k) => k.startsWith("route"))).toBe(false);
    expect(f.logs.length).toBe(2);
    expect(f.logs[0]).toContain("failed to delete stale UDP conntrack entries");
  });
});

describe("DEL, CHECK, GC, STATUS", () => {
  test("DEL without mappings still removes the container's objects by name", async () => {
    const f = fake(lockDir);
    await makePortmap(f.deps).del(args("DEL", { backend: "iptables" }));
    expect(f.calls.map((c) => c.argv.find((a) => a.endsWith("-save")))).toEqual(["iptables-save", "ip6tables-save"]);
    expect(f.kernel).toEqual([]);
  });

  test("DEL flushes UDP conntrack for both families", async () => {
    const f = fake(lockDir);
    await makePortmap(f.deps).del(args("DEL", { backend: "nftables", runtimeConfig: { portMappings: mappings } }));
    expect(f.kernel).toEqual(["conntrack 4 8053", "conntrack 6 8053"]);
  });

  test("CHECK: Required prevResult missing; no mappings is fine", async () => {
    expect(await errorOf(makePortmap(fake(lockDir).deps).check(args("CHECK", {})))).toEqual({ code: 999, msg: "Required prevResult missing" });
    const f = fake(lockDir);
    await makePortmap(f.deps).check(args("CHECK", { prevResult }));
    expect(f.calls).toEqual([]);
    expect(f.probed).toEqual([]);
  });

  test("CHECK: a missing chain is reported per family", async () => {
    const e = await errorOf(makePortmap(fake(lockDir).deps).check(args("CHECK", withMappings({ backend: "iptables" }))));
    expect(e.msg).toBe(`could not check ipv4 dnat: chain ${portmapDnatChainName("test", "ctr1")} not found in iptables table nat`);
  });

  test("STATUS succeeds without probing anything, even on a config ADD would refuse (as v1.9.1)", async () => {
    const f = fake(lockDir);
    await makePortmap(f.deps).status?.(args("STATUS", { cniVersion: "1.1.0", backend: "bogus" }));
    expect(f.calls).toEqual([]);
    expect(f.probed).toEqual([]);
  });

  test("GC removes only this network's stale per-container chains", async () => {
    const dn = (net: string, id: string): string => portmapDnatChainName(net, id);
    const save = [
      "*nat",
      ":CNI-HOSTPORT-DNAT - [0:0]",
      `:${dn("test", "keep")} - [0:0]`,
      `:${dn("test", "gone")} - [0:0]`,
      `:${dn("other", "gone")} - [0:0]`,
      `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"test\\" id: \\"keep\\"" -m multiport --dports 80 -j ${dn("test", "keep")}`,
      `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"test\\" id: \\"gone\\"" -m multiport --dports 81 -j ${dn("test", "gone")}`,
      `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"other\\" id: \\"gone\\"" -m multiport --dports 82 -j ${dn("other", "gone")}`,
      "COMMIT",
      "",
    ].join("\n");
    const f = fake(lockDir, { save: (argv) => (argv.some((a) => a.startsWith("iptables")) ? save : "") });
    const a = args("GC", { cniVersion: "1.1.0", backend: "iptables", "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] });
    await makePortmap(f.deps).gc?.(a);
    const batches = f.calls.filter((c) => c.stdin !== undefined).map((c) => c.stdin ?? "");
    expect(batches.length).toBe(1);
    expect(batches[0]).toContain(`-X ${dn("test", "gone")}`);
    expect(batches[0]).not.toContain(dn("test", "keep"));
    expect(batches[0]).not.toContain(dn("other", "gone"));
  });
});
