/**
 * The iptables layout written in-process (one nf_tables batch, xt compat expressions) against
 * the same plans written by iptables-nft's own `iptables-restore`, each from a fresh node and on
 * top of what an earlier container left: `iptables-save -t nat` prints byte-identical text, and
 * every rule's expressions (xt info blobs included) are equal attribute for attribute. Also: the
 * in-process path execs nothing, and a plan with user conditions still goes through the tool.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyIptables, applyIptablesEach } from "../../src/firewall/apply.ts";
import { spawnTool, type ToolRunner } from "../../src/firewall/exec.ts";
import { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd, portmapIptablesDel } from "../../src/firewall/iptables-plans.ts";
import type { IptablesPlan } from "../../src/firewall/model.ts";
import type { PortmapRequest } from "../../src/firewall/plans-types.ts";
import { NFPROTO_IPV4, NFPROTO_IPV6 } from "../../src/netlink/nft/constants.ts";
import { NftSession } from "../../src/netlink/nft/session.ts";
import { mustExec, requireIsolatedHost } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const lockPath = join(mkdtempSync(join(tmpdir(), "fw-xt-")), "fw.lock");
const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };

const hostports = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8081, containerPort: 81, protocol: "tcp", hostIP: "192.168.7.1" },
  { hostPort: 53, containerPort: 5353, protocol: "udp" },
  { hostPort: 99, containerPort: 99, protocol: "sctp" },
  { hostPort: 98, containerPort: 98, protocol: "dccp" },
  { hostPort: 9090, containerPort: 90, protocol: "tcp", hostIP: "2001:db8::7" },
  ...Array.from({ length: 16 }, (_, i) => ({ hostPort: 20000 + i, containerPort: 30000 + i, protocol: "tcp" })),
];

function portmap(id: string, ip: string, more: Partial<PortmapRequest> = {}): IptablesPlan {
  return portmapIptablesAdd({ network: "n{#x", containerId: id, containerIp: ip, mappings: hostports, snat: true, masqAll: false, markMasqBit: 13, ...more });
}

/** Each case: plan sets applied one after the other (later ones see what earlier ones left). */
const CASES: [string, IptablesPlan[][]][] = [
  ["bridge ipMasq, IPv4 + IPv6", [masqIptablesAdd({ network: "n", containerId: 'c"1', ifname: "eth0", addresses: ["10.88.0.5/16", "fd00::5/64"] })]],
  ["portmap IPv4, SNAT and hairpin, then a second container", [[portmap("c1", "10.88.0.5/16")], [portmap("c2", "10.88.0.6/16")]]],
  ["portmap IPv6, markMasqBit 31", [[portmap("c1", "fd00::5/64", { markMasqBit: 31 })]]],
  ["portmap masqAll + externalSetMarkChain, no SNAT twin", [[{ family: 4, ops: [{ op: "ensure-chain", chain: "MY-MARK" }] }], [portmap("c1", "10.88.0.5/16", { masqAll: true, externalSetMarkChain: "MY-MARK" })], [portmap("c2", "10.88.0.6/16", { snat: false })]]],
  ["portmap ADD again, then DEL of one container", [[portmap("c1", "10.88.0.5/16"), portmap("c2", "10.88.0.6/16")], [portmap("c1", "10.88.0.5/16")], portmapIptablesDel({ network: "n{#x", containerId: "c2" })]],
  ["bridge ipMasq ADD then DEL", [masqIptablesAdd({ network: "n", containerId: "c1", ifname: "eth0", addresses: ["10.88.0.5/16"] }), masqIptablesDel({ network: "n", containerId: "c1" })]],
];

/** iptables-save without its timestamped comment lines. */
async function saved(): Promise<string> {
  const text = (await mustExec(["iptables-save", "-t", "nat"], { env: ENV })) + (await mustExec(["ip6tables-save", "-t", "nat"], { env: ENV }));
  return text.split("\n").filter((l) => !l.startsWith("#")).join("\n");
}

/** Every rule of both nat tables as chain + attributes, handles left out (they are per write). */
function expressions(): string[] {
  using s = NftSession.open();
  const rs = s.read([{ family: NFPROTO_IPV4, name: "nat" }, { family: NFPROTO_IPV6, name: "nat" }]);
  const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
  const chains = rs.chains.map((c) => `${c.family} chain ${c.name} ${JSON.stringify(c.hook ?? null)} ${c.type ?? ""} ${c.policy ?? ""}`).sort();
  // Grouped by chain (the dump lists chains in creation order, which says nothing), in rule order.
  const rules = rs.rules.map((r) => `${r.family} ${r.chain}: ${r.exprs.map((e) => `${e.name}(${e.attrs.map((a) => `${a.type}=${hex(a.data)}`).join(",")})`).join(" ")}`);
  const chainOf = (line: string): string => line.slice(0, line.indexOf(":"));
  return [...chains, ...rules.map((l, i) => [l, i] as const).sort(([a, i], [b, j]) => (chainOf(a) < chainOf(b) ? -1 : chainOf(a) > chainOf(b) ? 1 : i - j)).map(([l]) => l)];
}

async function fresh(): Promise<void> {
  await mustExec(["nft", "flush", "ruleset"]);
  for (const tool of ["iptables", "ip6tables"]) await mustExec([tool, "-t", "nat", "-F"], { env: ENV });
  await mustExec(["nft", "flush", "ruleset"]);
}

/** Runs every tool through spawnTool but counts the calls. */
function counting(): { run: ToolRunner; calls: string[][] } {
  const calls: string[][] = [];
  return { calls, run: (argv, stdin) => (calls.push([...argv]), spawnTool(argv, stdin)) };
}

describe("in-process iptables layout equals iptables-restore's", () => {
  test.each(CASES)("%s", async (_name, steps) => {
    await fresh();
    for (const plans of steps) await applyIptables(plans, { lockPath });
    const mine = { text: await saved(), exprs: expressions() };
    await fresh();
    const tool = counting();
    for (const plans of steps) await applyIptables(plans, { lockPath, run: tool.run });
    expect(tool.calls.some((argv) => argv.some((a) => a.endsWith("-restore")))).toBe(true);
    const theirs = { text: await saved(), exprs: expressions() };
    expect(mine.text).toBe(theirs.text);
    expect(mine.exprs).toEqual(theirs.exprs);
    expect(mine.text).toContain(":POSTROUTING ACCEPT");
  });
});

describe("execs", () => {
  test("portmap and masquerade ADD and DEL in-process exec no tool at all", async () => {
    await fresh();
    // iptables and ip6tables resolve to an iptables-nft multi binary that only records being run.
    const bin = mkdtempSync(join(tmpdir(), "fw-xt-bin-"));
    const marks = join(bin, "ran");
    writeFileSync(join(bin, "xtables-nft-multi"), `#!/bin/sh\necho "$0 $*" >> ${marks}\nexit 1\n`, { mode: 0o755 });
    for (const name of ["iptables", "ip6tables"]) symlinkSync(join(bin, "xtables-nft-multi"), join(bin, name));
    const path = process.env.PATH;
    process.env.PATH = bin;
    const plans = [portmap("c1", "10.88.0.5/16"), portmap("c1", "fd00::5/64"), ...masqIptablesAdd({ network: "n", containerId: "c1", ifname: "eth0", addresses: ["10.88.0.5/16"] })];
    const dels = [...portmapIptablesDel({ network: "n{#x", containerId: "c1" }), ...masqIptablesDel({ network: "n", containerId: "c1" })];
    try {
      await applyIptables(plans, { lockPath });
      process.env.PATH = path;
      expect(await saved()).toContain("-j CNI-DN-");
      process.env.PATH = bin;
      const outcomes = await applyIptablesEach(dels, { lockPath });
      expect(outcomes.map((o) => o.error?.message)).toEqual(dels.map(() => undefined));
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(marks)).toBe(false);
    expect(await saved()).not.toContain("c1");
    expect(await saved()).not.toContain("CNI-DN-");
  });

  test("a plan with user conditions goes through iptables-restore, and its rule is there", async () => {
    await fresh();
    const plan = portmap("c1", "10.88.0.5/16", { conditions: ["-i", "eth7"] });
    await applyIptables([plan], { lockPath });
    expect(await saved()).toContain("-A CNI-HOSTPORT-DNAT -i eth7 -p udp ");
  });
});
