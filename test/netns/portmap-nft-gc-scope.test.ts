/**
 * GC is per network: a portmap GC of one network, given that network's valid attachments, must
 * keep the port mappings of live pods on other networks (operator floor: no command frees what a
 * live pod uses). Found by `make soak`'s mixed phase (tscni and tscni-chain churning at once:
 * "CHECK churn-c-73: missing hostport rules in \"hostports\" chain"). The iptables layout scopes
 * its rules by network name; the nftables layout comments a rule with the container ID only, so
 * a GC there deletes every rule whose container is not in *its* network's list. v1.9.1 is not
 * affected because its GC does nothing. EXPECTED TO FAIL on main at 92a6ac7 (nftables rows).
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
