/**
 * A failed first ADD on a fresh bridge must not break the next ADD. The rollback removes the
 * bridge's only port, and the kernel then gives the bridge an all-zero MAC; pinning that MAC is
 * refused (EADDRNOTAVAIL), so the bridge must be looked up again once the new port is on it.
 * v1.9.1 is run side by side: it leaks its veth on the failed ADD (so its bridge keeps a port and
 * a MAC) and its next ADD succeeds; tscni must succeed too, without the leak.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { distDir, repoRoot, requireIsolatedHost, runCni, tempDir, tempNetns, tscni } from "../harness.ts";
import { hostLocal, link, reservations } from "./bridge-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const V191 = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");
const IMPLS = [
  { name: "tscni", bin: tscni("bridge"), path: distDir, bridge: "brmac-ts" },
  { name: "v1.9.1", bin: join(V191, "bridge"), path: V191, bridge: "brmac-ref" },
] as const;

const data = tempDir("tscni-bridge-mac-");
afterAll(() => data[Symbol.dispose]());

const ZERO_MAC = "00:00:00:00:00:00";

describe("a failed first ADD on a fresh bridge", () => {
  test.each(IMPLS)("$name: the next correct ADD succeeds the first time", async (impl) => {
    const conf = (subnet: string) => ({
      cniVersion: "1.0.0",
      name: `mac-${impl.name}`,
      type: "bridge",
      bridge: impl.bridge,
      isGateway: true,
      ipam: hostLocal(join(data.path, impl.name), [subnet]),
    });
    const call = (subnet: string, netns: string, containerId: string) =>
      runCni(impl.bin, { command: "ADD", containerId, netns, ifname: "eth0", path: impl.path, stdin: conf(subnet) });

    await using first = await tempNetns();
    // A /31 leaves host-local nothing to hand out: the ADD fails after the bridge was created.
    const failed = await call("10.55.0.0/31", first.path, "c1");
    expect(failed.code).toBe(1);
    expect((failed.json as { msg: string }).msg).toContain("too small to allocate from");

    await using second = await tempNetns();
    const ok = await call("10.55.0.0/24", second.path, "c2");
    expect({ code: ok.code, stderr: ok.stderr, out: ok.code === 0 ? "" : ok.stdout }).toEqual({ code: 0, stderr: "", out: "" });
    const br = await link(impl.bridge);
    expect(br?.address).not.toBe(ZERO_MAC);
    const result = ok.json as { interfaces: { name: string; mac: string }[] };
    expect(result.interfaces[0]).toEqual({ name: impl.bridge, mac: br?.address ?? "" });
    expect(reservations(join(data.path, impl.name), `mac-${impl.name}`)).toEqual(["10.55.0.2"]);

    // What the failed ADD left in its container: v1.9.1 its eth0, tscni nothing.
    const leftover = await link("eth0", first);
    if (impl.name === "tscni") expect(leftover).toBeUndefined();
    else expect(leftover?.ifname).toBe("eth0");
  });
});
