/**
 * GC is per network: a portmap GC of one network, given that network's valid attachments, must
 * keep the port mappings of live pods on other networks (operator floor: no command frees what a
 * live pod uses). Found by `make soak`'s mixed phase (tscni and tscni-chain churning at once:
 * "CHECK churn-c-73: missing hostport rules in \"hostports\" chain"). The iptables layout scopes
 * its rules by network name, so its GC removes only its own network's stale chains. The nftables
 * layout comments a rule with the container ID only (as v1.9.1 does), so one network's GC cannot
 * tell its stale rules from another network's live ones: it leaves nft portmap rules alone, as
 * v1.9.1's GC does, and `tscni gc` (every network's attachments and cache in view) removes those
 * of containers live on no network (test/netns/cli-gc.test.ts). Before that the nftables rows
 * failed: the GC deleted every rule whose container was not in its own network's list.
 */
import { beforeAll, expect, test } from "bun:test";
import { CniError } from "../../src/cni/index.ts";
import { NETNS_TIMEOUT, requireIsolatedHost, tempNetns } from "../harness.ts";
import { prepareHost } from "../soak/soak.ts";
import { attachment, type Backend, type Impl, IMPLS, network, runtimeFor } from "../soak/world.ts";

requireIsolatedHost();
beforeAll(prepareHost);

const impl = (name: Impl["name"]): Impl => IMPLS.find((i) => i.name === name) as Impl;

test.each([
  ["nftables", "tscni", "tscni-chain"],
  ["nftables", "tscni-chain", "tscni"],
  ["nftables", "tscni", "v1.9.1"],
  ["iptables", "tscni", "tscni-chain"],
  ["iptables", "tscni", "v1.9.1"],
] as [Backend, Impl["name"], Impl["name"]][])(
  "%s: GC of %s's network keeps the port mappings of a %s pod on another network",
  async (backend, gcBy, podBy) => {
    const a = impl(gcBy);
    const b = impl(podBy);
    const netA = network(a, backend);
    const netB = network(b, backend);
    const runA = runtimeFor(a);
    const runB = runtimeFor(b);
    await using nsA = await tempNetns();
    await using nsB = await tempNetns();
    const podA = attachment("gc-scope-a", nsA.path, 20701);
    const podB = attachment("gc-scope-b", nsB.path, 20702);
    await runA.add(netA.list, podA);
    await runB.add(netB.list, podB);
    expect((await runA.gc(netA.list, [{ containerID: podA.containerId, ifname: podA.ifname }])).map(String)).toEqual([]);
    const checkB = await runB.check(netB.list, podB).then(
      () => "ok",
      (err: unknown) => CniError.from(err).message,
    );
    await runB.del(netB.list, podB);
    await runA.del(netA.list, podA);
    expect(checkB).toBe("ok");
  },
  NETNS_TIMEOUT,
);
