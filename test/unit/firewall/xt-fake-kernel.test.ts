/**
 * The iptables backend end to end over an in-memory nf_tables (ApplyOptions.transport, the
 * iptables layout as iptables-nft nodes hold it: test/fixtures/firewall/fake-xt-kernel.ts): every
 * verb one batch, a repeated ADD none, CHECK, the operator view, GC and DEL, and under writers that
 * keep committing between the backend's read and its batch each call re-reads, re-plans and goes
 * in whole. Netns tests (firewall-xt, firewall-foreign-writes) keep the real kernel.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { iptablesBackend } from "../../../src/firewall/iptables-backend.ts";
import { iptablesStateOf } from "../../../src/firewall/netlink-state.ts";
import { applyIptablesOver } from "../../../src/firewall/netlink.ts";
import { NODE_MASQ_CHAIN } from "../../../src/firewall/node-masq.ts";
import { encodeXtRule } from "../../../src/firewall/xt-encode.ts";
import { NFPROTO_IPV4 } from "../../../src/netlink/nft/constants.ts";
import { xtRuleRequest } from "../../../src/netlink/nft/xt-messages.ts";
import { FakeXtKernel, fakeXtTransport } from "../../fixtures/firewall/fake-xt-kernel.ts";
import { portmapRequest as pm } from "../../fixtures/firewall/requests.ts";

const lockPath = join(mkdtempSync(join(tmpdir(), "tscni-xt-fake-")), "fw.lock");

const masq = (containerId: string, address: string) => ({ network: "net", containerId, ifname: "eth0", addresses: [address] });

/** Every rule of both nat tables as iptables-save spells it, "<family> -A <chain> <rule>". */
function saved(k: FakeXtKernel): string[] {
  return ([4, 6] as const).flatMap((f) => [...iptablesStateOf(f, k.read()).rules].flatMap(([c, rules]) => rules.map((r) => `${f} -A ${c} ${r.join(" ")}`)));
}

describe("the iptables backend over the fake xt kernel", () => {
  test("ADD, re-ADD, CHECK, read, gc's transaction, DEL and GC: one batch per call that changes something", async () => {
    const k = new FakeXtKernel();
    const opts = { transport: fakeXtTransport(k), lockPath };
    await iptablesBackend.apply({ kind: "masquerade", req: masq("a", "10.0.0.2/24") }, opts);
    await iptablesBackend.apply({ kind: "masquerade", req: masq("b", "10.0.0.3/24") }, opts);
    await iptablesBackend.apply({ kind: "portmap", reqs: [pm("a", "10.0.0.2/24"), pm("a", "fd00::2/64")] }, opts);
    expect(k.batches).toHaveLength(3);
    const before = saved(k);
    await iptablesBackend.apply({ kind: "portmap", reqs: [pm("a", "10.0.0.2/24"), pm("a", "fd00::2/64")] }, opts);
    await iptablesBackend.apply({ kind: "masquerade", req: masq("a", "10.0.0.2/24") }, opts);
    expect(k.batches).toHaveLength(3);
    expect(saved(k)).toEqual(before);

    await iptablesBackend.check({ kind: "portmap", reqs: [pm("a", "10.0.0.2/24")] }, opts);
    await expect(iptablesBackend.check({ kind: "portmap", reqs: [pm("z", "10.0.0.9/24")] }, opts)).rejects.toThrow("could not check ipv4 dnat: chain CNI-DN-");

    const view = await iptablesBackend.read(opts);
    expect(view.entries.map((e) => `${e.kind} ${e.where} ${e.containerId}`).sort()).toEqual(["masquerade ipv4 a", "masquerade ipv4 b", "portmap ipv4 a", "portmap ipv6 a"]);
    expect(view.foreign).toEqual([]);
    const gc = view.planGc([{ network: "net", keep: [{ containerId: "a", ifname: "eth0" }] }]);
    expect(gc.items.map((i) => `${i.entry.kind} ${i.containerId}`)).toEqual(["masquerade b"]);
    expect([...(await gc.apply(opts)).values()]).toEqual([]);
    expect((await iptablesBackend.read(opts)).entries.map((e) => e.containerId)).toEqual(["a", "a", "a"]);

    await iptablesBackend.removeOwned({ kind: "masquerade", ref: { network: "net", containerId: "a", ifname: "eth0" } }, opts);
    const batches = k.batches.length;
    await iptablesBackend.removeOwned({ kind: "masquerade", ref: { network: "net", containerId: "a", ifname: "eth0" } }, opts);
    expect(k.batches).toHaveLength(batches);
    await iptablesBackend.removeStale({ kind: "portmap", network: "net", validContainerIds: [] }, opts);
    expect((await iptablesBackend.read(opts)).entries).toEqual([]);
    // The shared chains and their hooks stay, as the reference leaves them.
    expect(saved(k).filter((l) => l.includes("CNI-DN-") || /CNI-[0-9a-f]{24}/.test(l))).toEqual([]);
    expect(saved(k).filter((l) => l.startsWith("4 -A PREROUTING"))).toEqual(["4 -A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT"]);
  });

  test("writers committing between every read and batch: each call re-plans until it goes in whole", async () => {
    const k = new FakeXtKernel();
    const opts = { transport: fakeXtTransport(k), lockPath };
    // Three other writers in a row, each landing right after one of this call's reads.
    let racers = 3;
    const race = (): void => {
      const id = racers--;
      applyIptablesOver(k, [{ family: 4, ops: [{ op: "ensure-chain", chain: `OTHER-r${id}` }] }]);
      if (racers > 0) k.meanwhile = race;
    };
    k.meanwhile = race;
    const reads = k.reads;
    await iptablesBackend.apply({ kind: "portmap", reqs: [pm("a", "10.0.0.2/24")] }, opts);
    // Its read, a racer's read; three times; then its read that goes in.
    expect(k.reads - reads).toBe(7);
    const s = iptablesStateOf(4, k.read());
    expect(["OTHER-r3", "OTHER-r2", "OTHER-r1"].every((c) => s.chains.has(c))).toBe(true);
    // Each batch went in whole: one DNAT chain with its three rules, one entry jump, shared chains once.
    expect(saved(k).filter((l) => l.includes("CNI-HOSTPORT-DNAT -p tcp"))).toHaveLength(1);
    expect(saved(k).filter((l) => l.startsWith("4 -A CNI-DN-"))).toHaveLength(3);
    expect(saved(k).filter((l) => l.startsWith("4 -A CNI-HOSTPORT-SETMARK"))).toHaveLength(1);
    expect(k.batches).toHaveLength(4);
  });

  test("the agent's node masquerade through the seam: one batch, re-sync none, another tool's rule in its chain kept, removal", async () => {
    const k = new FakeXtKernel();
    const opts = { transport: fakeXtTransport(k), lockPath };
    const want = { local: ["10.244.1.0/24"], cluster: ["10.244.0.0/16"] };
    await iptablesBackend.apply({ kind: "node-masquerade", want }, opts);
    await iptablesBackend.apply({ kind: "node-masquerade", want }, opts);
    expect(k.batches).toHaveLength(1);
    const chain = saved(k).filter((l) => l.startsWith(`4 -A ${NODE_MASQ_CHAIN} `));
    expect(chain).toEqual([`4 -A ${NODE_MASQ_CHAIN} -d 10.244.0.0/16 -j RETURN`, `4 -A ${NODE_MASQ_CHAIN} ! -d 224.0.0.0/4 -j MASQUERADE`]);
    // Another tool's rule in the agent's chain: a changed want rewrites the agent's rules around it.
    const other = encodeXtRule(4, { proto: "tcp", matches: [{ kind: "dport", port: 9 }], verdict: { kind: "accept" } });
    if (other === undefined) throw new Error("not encodable");
    expect(k.commit([xtRuleRequest(NFPROTO_IPV4, "nat", NODE_MASQ_CHAIN, other)], k.generation)).toBe(true);
    await iptablesBackend.apply({ kind: "node-masquerade", want: { ...want, cluster: ["10.244.0.0/15"] } }, opts);
    expect(saved(k).filter((l) => l.startsWith(`4 -A ${NODE_MASQ_CHAIN} `))).toEqual([
      `4 -A ${NODE_MASQ_CHAIN} -p tcp -m tcp --dport 9 -j ACCEPT`,
      `4 -A ${NODE_MASQ_CHAIN} -d 10.244.0.0/15 -j RETURN`,
      `4 -A ${NODE_MASQ_CHAIN} ! -d 224.0.0.0/4 -j MASQUERADE`,
    ]);
    await iptablesBackend.removeOwned({ kind: "node-masquerade" }, opts);
    expect(saved(k).filter((l) => l.includes(NODE_MASQ_CHAIN))).toEqual([`4 -A POSTROUTING -s 10.244.1.0/24 -j ${NODE_MASQ_CHAIN}`, `4 -A ${NODE_MASQ_CHAIN} -p tcp -m tcp --dport 9 -j ACCEPT`]);
  });
});
