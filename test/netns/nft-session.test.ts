/**
 * The nf_tables session against the kernel: it awaits exactly the replies the kernel sends (none
 * for an empty batch, so none is sent; one per request; one for a batch refused whole), its
 * writable() probe changes nothing even at generation 1 (where "generation - 1" is 0, which the
 * kernel reads as "do not check"), and transact() re-plans when another writer commits in between
 * and gives up only after its time budget, saying why.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { NetNs } from "../../src/sys/index.ts";
import { NETLINK_NETFILTER } from "../../src/netlink/constants.ts";
import { NetlinkError } from "../../src/netlink/errors.ts";
import { NFPROTO_INET, NFPROTO_IPV4 } from "../../src/netlink/nft/constants.ts";
import { delChainRequest, newTableRequest } from "../../src/netlink/nft/messages.ts";
import { NftSession, transact } from "../../src/netlink/nft/session.ts";
import { NetlinkSocket } from "../../src/netlink/socket.ts";
import { mustExec, requireIsolatedHost, tempNetns } from "../harness.ts";
import { HANG_BOUND_MS } from "./fresh-node-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const tables = async (): Promise<string> => mustExec(["nft", "list", "tables"]);

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe("nf_tables session waits", () => {
  test("writable() at generation 1 answers at once and commits nothing", async () => {
    await using host = await tempNetns();
    using ns = NetNs.open(host.path);
    using s = new NftSession(NetlinkSocket.open(NETLINK_NETFILTER, ns));
    expect(s.genId()).toBe(1);
    const probe = timed(() => s.writable());
    expect(probe.value).toBe(true);
    expect(probe.ms).toBeLessThan(HANG_BOUND_MS);
    expect(s.genId()).toBe(1);
  });

  test("an empty commit sends nothing; a commit returns once its acks are in", async () => {
    using s = NftSession.open();
    const gen = s.genId();
    expect(timed(() => s.commit([], gen)).value).toBe(true);
    expect(s.genId()).toBe(gen);
    const add = timed(() => s.commit([newTableRequest(NFPROTO_INET, "sess_a")], gen));
    expect(add.value).toBe(true);
    expect(add.ms).toBeLessThan(HANG_BOUND_MS);
    expect(s.genId()).toBe(gen + 1);
    expect(await tables()).toContain("table inet sess_a");
  });

  test("a failing request aborts the batch: its error, nothing applied", async () => {
    using s = NftSession.open();
    const gen = s.genId();
    const r = timed(() => {
      try {
        s.commit([newTableRequest(NFPROTO_INET, "sess_b"), delChainRequest(NFPROTO_INET, "sess_b", "missing")], gen);
        return "committed";
      } catch (err) {
        return err instanceof NetlinkError ? err.errnoName : String(err);
      }
    });
    expect(r.value).toBe("ENOENT");
    expect(r.ms).toBeLessThan(HANG_BOUND_MS);
    expect(await tables()).not.toContain("sess_b");
    expect(s.genId()).toBe(gen);
  });

  test("a batch tied to a passed generation is refused whole (false), nothing applied", async () => {
    using s = NftSession.open();
    const gen = s.genId();
    await mustExec(["nft", "add", "table", "inet", "sess_other"]);
    expect(s.commit([newTableRequest(NFPROTO_INET, "sess_c")], gen)).toBe(false);
    expect(await tables()).not.toContain("sess_c");
  });

  test("transact re-plans when another writer commits between read and batch", () => {
    using s = NftSession.open();
    let plans = 0;
    transact(s, [{ family: NFPROTO_INET, name: "sess_d" }], (rs) => {
      plans++;
      if (plans === 1) Bun.spawnSync(["nft", "add", "table", "inet", `sess_race${rs.genId}`]);
      return rs.tables.length === 0 ? [newTableRequest(NFPROTO_INET, "sess_d")] : [];
    });
    expect(plans).toBe(2);
  });

  test("transact gives up after its time budget when every attempt loses the race, and says so", () => {
    using s = NftSession.open();
    let plans = 0;
    const start = performance.now();
    let message = "";
    try {
      transact(s, [{ family: NFPROTO_INET, name: "sess_e" }], (rs) => {
        plans++;
        Bun.spawnSync(["nft", "add", "table", "inet", `sess_busy${rs.genId}`]);
        return [newTableRequest(NFPROTO_INET, "sess_e")];
      }, 300);
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    expect(message).toMatch(/^nf_tables batch: the nf_tables ruleset stayed busy for 0\.\d s \(\d+ attempts; .*ERESTART.*\(resource temporarily unavailable\)$/);
    expect(plans).toBeGreaterThan(1);
    expect(performance.now() - start).toBeLessThan(HANG_BOUND_MS);
  });

  test("a read by name is one datagram (generation, table, chains, rules by handle, generation); a rule dump adds its own and a last generation", async () => {
    await mustExec(["iptables", "-t", "nat", "-N", "SESS-READ"]);
    await mustExec(["iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.9.0.1/32", "-j", "SESS-READ"]);
    const sock = NetlinkSocket.open(NETLINK_NETFILTER);
    const sent: number[] = [];
    using s = new NftSession({ portId: sock.portId, send: (d) => (sent.push(d.byteLength), sock.send(d)), receive: (ms) => sock.receive(ms), close: () => sock.close() });
    const gen = s.genId();
    sent.length = 0;
    const named = s.readOnce([{ family: NFPROTO_IPV4, name: "nat", chainNames: ["POSTROUTING", "SESS-READ", "SESS-ABSENT", "POSTROUTING"], chains: [] }, { family: NFPROTO_IPV4, name: "absent_t", chainNames: ["x"] }]);
    expect(sent).toHaveLength(1);
    expect(named.genId).toBe(gen);
    expect(named.tables.map((t) => t.name)).toEqual(["nat"]);
    expect(named.chains.map((c) => c.name)).toEqual(["POSTROUTING", "SESS-READ"]);
    expect(named.rules).toEqual([]);
    // The chain's one rule, dumped by name and fetched by its handle: the same rule twice.
    const handle = s.readOnce([{ family: NFPROTO_IPV4, name: "nat", chainNames: ["POSTROUTING"], chains: ["POSTROUTING"] }]).rules[0]?.handle ?? 0n;
    sent.length = 0;
    const both = s.readOnce([{ family: NFPROTO_IPV4, name: "nat", chainNames: ["POSTROUTING"], chains: ["POSTROUTING"], ruleHandles: [{ chain: "POSTROUTING", handle }, { chain: "POSTROUTING", handle: handle + 1000n }] }]);
    expect(sent).toHaveLength(3);
    expect(both.rules.map((r) => r.handle)).toEqual([handle, handle]);
    expect(both.genId).toBe(gen);
  });
});
