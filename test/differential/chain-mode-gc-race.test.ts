/**
 * The soak's one chain-mode CHECK failure ("host-local: Failed to find address added by container
 * churn-c-31") replayed deterministically: the churn ran GC concurrently with ADDs, which the spec
 * forbids (reference/checklist.md §1.13, §1.15). Its valid list was read before a container
 * started; that container's ADD (cache written, address reserved) landed after libcni's
 * stale-cache pass but before the plugins' GC, so GC released a live address and the next CHECK
 * could not find it. The same interleaving is played here with the compiled binaries through
 * their symlinks, plain and in chain mode: both give the same error, so it is GC doing what it was
 * told, not a chain-mode bug. v1.9.1 passes the CHECK only because its GC does nothing (its
 * host-local never releases, the [quirk] in checklist §1.13).
 */
import { beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CniError } from "../../src/cni/index.ts";
import { NETNS_TIMEOUT, requireIsolatedHost, tempNetns } from "../harness.ts";
import { holdFirstGc } from "../soak/hold-gc.ts";
import { diff, snapshot } from "../soak/invariants.ts";
import { prepareHost } from "../soak/soak.ts";
import { attachment, type Impl, IMPLS, implDirs, network, runtimeFor } from "../soak/world.ts";

requireIsolatedHost();
beforeAll(prepareHost);

/** GC (valid list read before the container existed) → ADD completes → the plugins' GC → CHECK. */
async function addDuringGc(impl: Impl): Promise<string> {
  const net = network(impl, "nftables");
  const id = `race-${impl.tag}`;
  const warm = runtimeFor(impl);
  {
    await using ns = await tempNetns();
    const rt = attachment(`warmup-${impl.tag}`, ns.path, 19999);
    await warm.add(net.list, rt);
    await warm.del(net.list, rt);
  }
  const before = await snapshot(implDirs(impl));
  let resume!: () => void;
  const hold = holdFirstGc(new Promise<void>((r) => (resume = r)));
  const runtime = runtimeFor(impl, hold.exec);
  await using ns = await tempNetns();
  const rt = attachment(id, ns.path, 20500);
  const gc = runtime.gc(net.list, []);
  await hold.held;
  const added = await runtime.add(net.list, rt);
  expect(added.result.ips).toBeArray();
  resume();
  expect((await gc).map((e) => e.message)).toEqual([]);
  const check = await runtime.check(net.list, rt).then(
    () => "CHECK ok",
    (err: unknown) => `CHECK code ${CniError.from(err).code}: ${CniError.from(err).message}`,
  );
  await runtime.del(net.list, rt);
  expect(diff(before, await snapshot(implDirs(impl)))).toEqual([]);
  return check.replaceAll(id, "<id>");
}

test(
  "an ADD landing inside a GC whose valid list omits it: plain tscni and chain mode fail the CHECK alike, DEL still cleans",
  async () => {
    const byName = (name: Impl["name"]): Impl => IMPLS.find((i) => i.name === name) as Impl;
    const plain = await addDuringGc(byName("tscni"));
    const chain = await addDuringGc(byName("tscni-chain"));
    expect(plain).toBe("CHECK code 999: host-local: Failed to find address added by container <id>");
    expect(chain).toBe(plain);
    const reference = byName("v1.9.1");
    if (!existsSync(join(reference.binDir, "bridge"))) throw new Error(`no v1.9.1 reference in ${reference.binDir}`);
    expect(await addDuringGc(reference)).toBe("CHECK ok");
  },
  NETNS_TIMEOUT * 3,
);
