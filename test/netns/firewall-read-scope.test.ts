/**
 * A call lists only the chains its plan names (each looked up by name) and reads only the rules of
 * those it touches (rule dumps filtered by chain in the kernel), and
 * still does what a read of the whole table would: a re-ADD among other pods changes nothing, a new
 * pod adds exactly its own rules, and a DEL whose chain a rule outside the entry chains jumps to
 * (the kernel refuses the scoped batch with EBUSY) still removes everything, on the second read.
 * A portmap DEL whose container has no chain of its own looks up those chains alone and stops.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyIptables, applyIptablesEach } from "../../src/firewall/apply.ts";
import { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd, portmapIptablesDel } from "../../src/firewall/iptables-plans.ts";
import { masqChainName, portmapDnatChainName, portmapLegacySnatChainName } from "../../src/firewall/names.ts";
import { iptablesTable } from "../../src/firewall/netlink-state.ts";
import { applyIptablesOver, removedChainsGone, type XtSession } from "../../src/firewall/netlink.ts";
import { hintPath, readHints, writeHints } from "../../src/firewall/rule-hints.ts";
import { readVerdict } from "../../src/netlink/nft/expr.ts";
import type { NftRule } from "../../src/netlink/nft/messages.ts";
import { NftSession, type Ruleset, type TableRef } from "../../src/netlink/nft/session.ts";
import { mustExec, requireIsolatedHost } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const lockPath = join(mkdtempSync(join(tmpdir(), "fw-scope-")), "fw.lock");
const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
const cid = (i: number): string => `scope${i}`.padEnd(64, "0");
const ip = (i: number): string => `10.77.0.${i + 2}/16`;

async function addPod(i: number): Promise<void> {
  await applyIptables(masqIptablesAdd({ network: "scope", containerId: cid(i), ifname: "eth0", addresses: [ip(i)] }), { lockPath });
  const pm = portmapIptablesAdd({ network: "scope", containerId: cid(i), containerIp: ip(i), mappings: [{ hostPort: 31000 + i, containerPort: 80, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 });
  await applyIptables([pm], { lockPath });
}

async function delPod(i: number): Promise<void> {
  for (const plans of [portmapIptablesDel({ network: "scope", containerId: cid(i) }), masqIptablesDel({ network: "scope", containerId: cid(i) })]) {
    for (const o of await applyIptablesEach(plans, { lockPath })) expect(o.error).toBeUndefined();
  }
}

async function save(): Promise<string[]> {
  return (await mustExec(["iptables-save", "-t", "nat"], { env: ENV })).split("\n").filter((l) => l.startsWith("-A ") || l.startsWith(":"));
}

describe("chain-scoped reads", () => {
  test("the kernel dumps one chain's rules when asked, and every chain is still listed", async () => {
    for (let i = 0; i < 3; i++) await addPod(i);
    using s = NftSession.open();
    const all = s.read([iptablesTable(4)]);
    const one = s.read([iptablesTable(4, ["POSTROUTING"])]);
    expect(one.rules.length).toBeGreaterThan(0);
    expect(one.rules.every((r) => r.chain === "POSTROUTING")).toBe(true);
    expect(one.rules.map((r) => r.handle)).toEqual(all.rules.filter((r) => r.chain === "POSTROUTING").map((r) => r.handle));
    expect(one.chains.map((c) => c.name).sort()).toEqual(all.chains.map((c) => c.name).sort());
    expect(all.rules.length).toBeGreaterThan(one.rules.length);
    // Chains asked for by name: exactly those of them the table has, as the full listing shows them.
    const named = ["POSTROUTING", masqChainName("scope", cid(1)), "NO-SUCH-CHAIN", "POSTROUTING"];
    const looked = s.read([{ ...iptablesTable(4), chainNames: named }]);
    const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
    expect([...looked.chains].sort(byName)).toEqual(all.chains.filter((c) => named.includes(c.name)).sort(byName));
    expect(looked.chains.map((c) => c.name).sort()).toEqual(["POSTROUTING", masqChainName("scope", cid(1))].sort());
    for (let i = 0; i < 3; i++) await delPod(i);
  });

  test("among other pods: re-ADD changes nothing, a new pod adds only its rules, DEL takes them all", async () => {
    for (let i = 0; i < 4; i++) await addPod(i);
    const four = await save();
    using s = NftSession.open();
    const gen = s.genId();
    await addPod(2);
    expect(s.genId()).toBe(gen);
    await addPod(4);
    const five = await save();
    const added = five.filter((l) => !four.includes(l));
    expect(added.length).toBeGreaterThan(0);
    expect(four.every((l) => five.includes(l))).toBe(true);
    await delPod(4);
    expect(await save()).toEqual(four);
    for (let i = 0; i < 4; i++) await delPod(i);
    expect((await save()).filter((l) => l.includes("scope"))).toEqual([]);
  });

  test("a new pod's ADD reads no rule of the chains holding one jump per pod; a re-ADD reads them and adds nothing", async () => {
    for (let i = 20; i < 24; i++) await addPod(i);
    using s = NftSession.open();
    /** The chains whose rules each read of the writer handed back. */
    const reads: string[][] = [];
    const rec: XtSession = {
      readOnce: (refs: readonly TableRef[]): Ruleset => {
        const rs = s.readOnce(refs);
        reads.push([...new Set(rs.rules.map((r) => r.chain))]);
        return rs;
      },
      commit: (reqs, gen) => s.commit(reqs, gen),
    };
    const masq = masqIptablesAdd({ network: "scope", containerId: cid(24), ifname: "eth0", addresses: [ip(24)] });
    const pm = portmapIptablesAdd({ network: "scope", containerId: cid(24), containerIp: ip(24), mappings: [{ hostPort: 31024, containerPort: 80, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 });
    expect(applyIptablesOver(rec, masq)).toBe(true);
    expect(applyIptablesOver(rec, [pm])).toBe(true);
    expect(reads).toHaveLength(2);
    expect(reads[0]).toEqual([]);
    expect(reads[1]).not.toContain("CNI-HOSTPORT-DNAT");
    const after = await save();
    expect(after.filter((l) => l.startsWith("-A POSTROUTING") && l.endsWith(`-j ${masqChainName("scope", cid(24))}`))).toHaveLength(1);
    expect(after.filter((l) => l.startsWith("-A CNI-HOSTPORT-DNAT") && l.endsWith(`-j ${portmapDnatChainName("scope", cid(24))}`))).toHaveLength(1);
    // Re-ADD: the chains are there, so the shared chains are read, and nothing is added twice.
    reads.length = 0;
    const gen = s.genId();
    expect(applyIptablesOver(rec, masq)).toBe(true);
    expect(applyIptablesOver(rec, [pm])).toBe(true);
    expect(reads[0]).toContain("POSTROUTING");
    expect(reads[1]).toContain("CNI-HOSTPORT-DNAT");
    expect(s.genId()).toBe(gen);
    expect(await save()).toEqual(after);
    for (let i = 20; i < 25; i++) await delPod(i);
    expect((await save()).filter((l) => l.includes("scope"))).toEqual([]);
  });

  test("a jump from outside the entry chains: the scoped DEL is refused (EBUSY), the full read sees it and keeps it", async () => {
    await addPod(7);
    const chain = masqChainName("scope", cid(7));
    const input = `*nat\n:FOREIGN-X - [0:0]\n-A FOREIGN-X -s 10.9.9.9/32 -j ${chain}\nCOMMIT\n`;
    await mustExec(["iptables-restore", "--noflush"], { env: ENV, stdin: input });
    await delPod(7);
    const left = await save();
    // Another tool's jump is never deleted (#20): the chain stays for it, emptied of the plugin's rules.
    expect(left.filter((l) => l.includes(chain))).toEqual([`:${chain} - [0:0]`, `-A FOREIGN-X -s 10.9.9.9/32 -j ${chain}`]);
    expect(left).toContain(":FOREIGN-X - [0:0]");
  });

  test("the shared POSTROUTING jump: found by its remembered handle, and a stale or wrong handle still leaves exactly one", async () => {
    const jump = '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ';
    const jumps = async (): Promise<number> => (await save()).filter((l) => l === jump).length;
    const key = "4 POSTROUTING CNI-HOSTPORT-MASQ";
    for (let i = 10; i < 13; i++) await addPod(i);
    // The second ADD read POSTROUTING whole and remembered where the jump is.
    const learnt = readHints(hintPath()).get(key);
    expect(learnt).toBeDefined();
    using s = NftSession.open();
    const post = s.read([iptablesTable(4, ["POSTROUTING"])]).rules;
    const targetOf = (r: NftRule | undefined): string | undefined => readVerdict(r?.lastExpr)?.chain;
    expect(targetOf(post.find((r) => r.handle === learnt))).toBe("CNI-HOSTPORT-MASQ");
    const before = await save();
    await addPod(11); // re-ADD through the hint: nothing changes
    expect(await save()).toEqual(before);

    // The jump deleted behind our back: the hint misses, the chain is read, the jump comes back.
    await mustExec(["iptables", "-t", "nat", "-D", "POSTROUTING", "-m", "comment", "--comment", "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"], { env: ENV });
    expect(await jumps()).toBe(0);
    await addPod(13);
    expect(await jumps()).toBe(1);

    // A hint naming another rule of POSTROUTING (a pod's masquerade jump): read whole, no duplicate.
    const other = s.read([iptablesTable(4, ["POSTROUTING"])]).rules.find((r) => targetOf(r) !== "CNI-HOSTPORT-MASQ");
    expect(other).toBeDefined();
    writeHints(hintPath(), new Map([[key, other?.handle ?? 0n]]));
    await addPod(14);
    expect(await jumps()).toBe(1);
    expect(readHints(hintPath()).get(key)).not.toBe(other?.handle);
    // A file that is not a hint file at all: ignored.
    writeHints(hintPath(), new Map());
    await Bun.write(hintPath(), "garbage\n4 POSTROUTING CNI-HOSTPORT-MASQ notanumber\n");
    await addPod(15);
    expect(await jumps()).toBe(1);
    for (let i = 10; i < 16; i++) await delPod(i);
    expect((await save()).filter((l) => l.includes("scope"))).toEqual([]);
  });

  test("portmap DEL: a container without chains is looked up by its own chains only and nothing is written; one with chains loses them in both families", async () => {
    for (let i = 30; i < 32; i++) await addPod(i);
    const dual = (i: number, containerIp: string) =>
      portmapIptablesAdd({ network: "scope", containerId: cid(i), containerIp, mappings: [{ hostPort: 32000 + i, containerPort: 80, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 });
    await applyIptables([dual(40, "10.77.0.40/16"), dual(40, "fd77::40/64")], { lockPath });
    const save6 = async (): Promise<string[]> => (await mustExec(["ip6tables-save", "-t", "nat"], { env: ENV })).split("\n").filter((l) => l.startsWith("-A ") || l.startsWith(":"));
    using s = NftSession.open();
    const asked: TableRef[][] = [];
    const rec: Pick<XtSession, "readOnce"> = {
      readOnce: (refs: readonly TableRef[]): Ruleset => {
        asked.push([...refs]);
        const rs = s.readOnce(refs);
        expect(rs.rules).toEqual([]);
        return rs;
      },
    };
    const own = (i: number): string[] => [portmapDnatChainName("scope", cid(i)), portmapLegacySnatChainName("scope", cid(i))];
    const before = [await save(), await save6()];
    const gen = s.genId();
    expect(removedChainsGone(portmapIptablesDel({ network: "scope", containerId: cid(41) }), rec)).toBe(true);
    expect(asked).toHaveLength(1);
    for (const ref of asked[0] ?? []) expect({ names: ref.chainNames, rules: ref.chains }).toEqual({ names: own(41), rules: [] });
    expect(asked[0]?.map((r) => r.family)).toEqual([2, 10]);
    for (const o of await applyIptablesEach(portmapIptablesDel({ network: "scope", containerId: cid(41) }), { lockPath }, true)) expect(o.error).toBeUndefined();
    expect(s.genId()).toBe(gen);
    expect([await save(), await save6()]).toEqual(before);

    expect(removedChainsGone(portmapIptablesDel({ network: "scope", containerId: cid(40) }), rec)).toBe(false);
    expect(before[1]?.some((l) => l.includes(own(40)[0] ?? "?"))).toBe(true);
    for (const o of await applyIptablesEach(portmapIptablesDel({ network: "scope", containerId: cid(40) }), { lockPath }, true)) expect(o.error).toBeUndefined();
    for (const lines of [await save(), await save6()]) expect(lines.filter((l) => l.includes(own(40)[0] ?? "?"))).toEqual([]);
    for (let i = 30; i < 32; i++) await delPod(i);
    expect((await save()).filter((l) => l.includes("scope"))).toEqual([]);
  });
});
