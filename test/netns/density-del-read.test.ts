/**
 * A DEL among many pods reads, of the entry chains (one jump per pod), only the rules that may
 * jump to the chains it removes (read.ts drops the other rule messages before decoding them), and
 * still plans exactly the batch a read of those chains whole plans: the same messages, byte for
 * byte, and the same notes, with a foreign jump into the pod's chain or a foreign rule inside it
 * seen and kept as before.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyIptables } from "../../src/firewall/apply.ts";
import { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd, portmapIptablesDel } from "../../src/firewall/iptables-plans.ts";
import type { IptablesPlan } from "../../src/firewall/model.ts";
import { masqChainName, portmapDnatChainName } from "../../src/firewall/names.ts";
import { applyIptablesOver, type XtSession } from "../../src/firewall/netlink.ts";
import type { Request } from "../../src/netlink/message.ts";
import { NftSession, type Ruleset, type TableRef } from "../../src/netlink/nft/session.ts";
import { mustExec, requireIsolatedHost } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const lockPath = join(mkdtempSync(join(tmpdir(), "density-del-")), "fw.lock");
const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
const NET = "dread";
const PODS = 12;
const cid = (i: number): string => `dread${String(i).padStart(3, "0")}`.padEnd(64, "0");
const ip = (i: number): string => `10.78.0.${i + 2}/16`;

async function addPod(i: number): Promise<void> {
  await applyIptables(masqIptablesAdd({ network: NET, containerId: cid(i), ifname: "eth0", addresses: [ip(i)] }), { lockPath });
  const pm = portmapIptablesAdd({ network: NET, containerId: cid(i), containerIp: ip(i), mappings: [{ hostPort: 33000 + i, containerPort: 80, protocol: "tcp" }], snat: true, masqAll: false, markMasqBit: 13 });
  await applyIptables([pm], { lockPath });
}

async function save(): Promise<string[]> {
  return (await mustExec(["iptables-save", "-t", "nat"], { env: ENV })).split("\n").filter((l) => l.startsWith("-A ") || l.startsWith(":"));
}

class Captured extends Error {
  constructor(readonly reqs: readonly Request[]) {
    super("captured");
  }
}

interface Planned {
  /** The batch the writer would send, as bytes. */
  batch: number[][];
  /** The rules the first read handed back, per chain. */
  rules: Map<string, number>;
  /** How many reads the writer made. */
  reads: number;
}

/** What the writer would send for `plans` (nothing is committed); `whole`: the read without the jumps-only filter. */
function plan(s: NftSession, plans: readonly IptablesPlan[], whole: boolean): Planned {
  const rules = new Map<string, number>();
  let reads = 0;
  const session: XtSession = {
    readOnce: (refs: readonly TableRef[]): Ruleset => {
      const rs = s.readOnce(whole ? refs.map(({ jumpsOnly: _, ...ref }) => ref) : refs);
      if (reads++ === 0) for (const r of rs.rules) if (r.family === 2) rules.set(r.chain, (rules.get(r.chain) ?? 0) + 1);
      return rs;
    },
    commit: (reqs) => {
      throw new Captured(reqs);
    },
  };
  try {
    applyIptablesOver(session, plans);
  } catch (err) {
    if (err instanceof Captured) return { batch: err.reqs.map((r) => [r.type, r.flags, ...r.body]), rules, reads };
    throw err;
  }
  throw new Error("nothing to send");
}

describe("DEL among many pods: the entry chains' rules read only when they may jump to a removed chain", () => {
  test("the same batch and notes as a whole read, foreign jumps and foreign rules inside kept", async () => {
    for (let i = 0; i < PODS; i++) await addPod(i);
    // Another tool's jump into pod 2's masquerade chain, from POSTROUTING (an entry chain), and its
    // rule inside pod 3's DNAT chain.
    const m2 = masqChainName(NET, cid(2));
    const d3 = portmapDnatChainName(NET, cid(3));
    await mustExec(["iptables-restore", "--noflush"], { env: ENV, stdin: `*nat\n-A POSTROUTING -s 10.9.9.9/32 -j ${m2}\n-A ${d3} -p udp -m udp --dport 9 -j RETURN\nCOMMIT\n` });
    using s = NftSession.open();
    for (const [what, plans] of [
      ["masquerade DEL", masqIptablesDel({ network: NET, containerId: cid(1) })],
      ["portmap DEL", portmapIptablesDel({ network: NET, containerId: cid(1) })],
      ["masquerade DEL, foreign jump", masqIptablesDel({ network: NET, containerId: cid(2) })],
      ["portmap DEL, foreign rule inside", portmapIptablesDel({ network: NET, containerId: cid(3) })],
    ] as const) {
      const filtered = plan(s, plans, false);
      const whole = plan(s, plans, true);
      expect({ what, batch: filtered.batch }).toEqual({ what, batch: whole.batch });
      expect(filtered.batch.length).toBeGreaterThan(0);
      // The entry chain holding a rule per pod (POSTROUTING for a masquerade chain, CNI-HOSTPORT-DNAT
      // for a DNAT chain): only the jumps to this pod's chain were handed back.
      const entry = what.startsWith("masquerade") ? "POSTROUTING" : "CNI-HOSTPORT-DNAT";
      expect(whole.rules.get(entry) ?? 0).toBeGreaterThanOrEqual(PODS - 1);
      expect(filtered.rules.get(entry) ?? 0).toBeLessThanOrEqual(what === "masquerade DEL, foreign jump" ? 2 : 1);
      // A note for another tool's rules is written from a read of every chain (the last test).
      expect({ what, reads: filtered.reads }).toEqual({ what, reads: what.includes("foreign") ? 2 : 1 });
      const notes: string[] = [];
      expect(applyIptablesOver(s, plans, notes)).toBe(true);
      expect({ what, notes: notes.length }).toEqual({ what, notes: what.includes("foreign") ? 1 : 0 });
    }
    const left = await save();
    // Pod 1: nothing left; pod 2's chain stays for the foreign jump, emptied; pod 3's DNAT chain keeps the foreign rule and its jump.
    expect(left.filter((l) => l.includes(masqChainName(NET, cid(1))) || l.includes(portmapDnatChainName(NET, cid(1))))).toEqual([]);
    expect(left.filter((l) => l.includes(m2))).toEqual([`:${m2} - [0:0]`, `-A POSTROUTING -s 10.9.9.9/32 -j ${m2}`]);
    expect(left.filter((l) => l.startsWith(`-A ${d3}`))).toEqual([`-A ${d3} -p udp -m udp --dport 9 -j RETURN`]);
    expect(left.filter((l) => l.startsWith("-A CNI-HOSTPORT-DNAT") && l.endsWith(`-j ${d3}`))).toHaveLength(1);
    // Every other pod's rules are untouched.
    for (let i = 4; i < PODS; i++) expect(left.filter((l) => l.endsWith(`-j ${masqChainName(NET, cid(i))}`) || l.endsWith(`-j ${portmapDnatChainName(NET, cid(i))}`))).toHaveLength(2);
  });

  test("a foreign jump from an entry chain the layouts do not jump from: the scoped batch is refused (EBUSY), the whole read sees it and keeps it", async () => {
    for (let i = 20; i < 24; i++) await addPod(i);
    const m21 = masqChainName(NET, cid(21));
    const d22 = portmapDnatChainName(NET, cid(22));
    await mustExec(["iptables-restore", "--noflush"], { env: ENV, stdin: `*nat\n-A CNI-HOSTPORT-MASQ -s 10.9.9.21/32 -j ${m21}\n-A PREROUTING -s 10.9.9.22/32 -j ${d22}\nCOMMIT\n` });
    using s = NftSession.open();
    for (const plans of [masqIptablesDel({ network: NET, containerId: cid(21) }), portmapIptablesDel({ network: NET, containerId: cid(22) })]) {
      const notes: string[] = [];
      let reads = 0;
      const counted: XtSession = { readOnce: (refs) => (reads++, s.readOnce(refs)), commit: (reqs, gen) => s.commit(reqs, gen) };
      expect(applyIptablesOver(counted, plans, notes)).toBe(true);
      expect(notes).toHaveLength(1);
      expect(reads).toBe(2);
    }
    const left = await save();
    // The chains stay for the foreign jumps, emptied of the plugins' rules; the plugins' own jumps are gone.
    expect(left.filter((l) => l.includes(m21))).toEqual([`:${m21} - [0:0]`, `-A CNI-HOSTPORT-MASQ -s 10.9.9.21/32 -j ${m21}`]);
    expect(left.filter((l) => l.includes(d22))).toEqual([`:${d22} - [0:0]`, `-A PREROUTING -s 10.9.9.22/32 -j ${d22}`]);
  });

  test("foreign jumps from the layout's entry chain and from another: the note names both (a read of every chain)", async () => {
    for (let i = 30; i < 33; i++) await addPod(i);
    const m31 = masqChainName(NET, cid(31));
    const d32 = portmapDnatChainName(NET, cid(32));
    const stdin = [
      "*nat",
      `-A POSTROUTING -s 10.9.9.31/32 -j ${m31}`,
      `-A CNI-HOSTPORT-MASQ -s 10.9.9.131/32 -j ${m31}`,
      `-A CNI-HOSTPORT-DNAT -s 10.9.9.32/32 -j ${d32}`,
      `-A PREROUTING -s 10.9.9.132/32 -j ${d32}`,
      "COMMIT",
      "",
    ].join("\n");
    await mustExec(["iptables-restore", "--noflush"], { env: ENV, stdin });
    using s = NftSession.open();
    for (const [plans, sources] of [
      [masqIptablesDel({ network: NET, containerId: cid(31) }), ["-A POSTROUTING -s 10.9.9.31/32", "-A CNI-HOSTPORT-MASQ -s 10.9.9.131/32"]],
      [portmapIptablesDel({ network: NET, containerId: cid(32) }), ["-A CNI-HOSTPORT-DNAT -s 10.9.9.32/32", "-A PREROUTING -s 10.9.9.132/32"]],
    ] as const) {
      const notes: string[] = [];
      expect(applyIptablesOver(s, plans, notes)).toBe(true);
      expect(notes).toHaveLength(1);
      for (const src of sources) expect(notes[0]).toContain(src);
    }
    const left = await save();
    expect(left.filter((l) => l.startsWith("-A ") && l.endsWith(`-j ${m31}`))).toHaveLength(2);
    expect(left.filter((l) => l.startsWith("-A ") && l.endsWith(`-j ${d32}`))).toHaveLength(2);
  });
});
