/**
 * DEL removes the container interface only when it is a veth whose peer is a port of the
 * configured bridge. A same-named interface the plugin never created (the ADD failed because it
 * was there) survives the DEL that follows; v1.9.1 deletes it (asserted, so this file notices when
 * the oracle changes). An attachment the plugin did create is still removed by both.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { distDir, exec, repoRoot, requireIsolatedHost, runCni, tempDir, tempNetns, type TempNetns, tscni } from "../harness.ts";
import { hostLocal, hostVeths, link, reservations } from "./bridge-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const V191 = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");
const IMPLS = [
  { name: "tscni", bin: tscni("bridge"), path: distDir, deletesForeign: false },
  { name: "v1.9.1", bin: join(V191, "bridge"), path: V191, deletesForeign: true },
] as const;
type Impl = (typeof IMPLS)[number];

const data = tempDir("tscni-del-foreign-");
afterAll(() => data[Symbol.dispose]());

let seq = 0;
function call(impl: Impl, command: "ADD" | "DEL", ns: TempNetns, network: string) {
  const stdin = {
    cniVersion: "1.0.0",
    name: network,
    type: "bridge",
    bridge: `bf-${impl.name.slice(0, 5)}`,
    isGateway: true,
    ipam: hostLocal(join(data.path, impl.name), ["10.61.0.0/24"]),
  };
  return runCni(impl.bin, { command, containerId: network, netns: ns.path, ifname: "eth0", path: impl.path, stdin });
}

async function must(argv: string[]): Promise<void> {
  const r = await exec(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
}

interface Foreign {
  name: string;
  /** Puts an `eth0` the plugin did not create into `ns`. */
  make(ns: TempNetns): Promise<void>;
}

const FOREIGN: Foreign[] = [
  {
    name: "a veth pair living wholly in the container",
    make: (ns) => must(["nsenter", `--net=${ns.path}`, "--", "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "mine0"]),
  },
  {
    name: "a veth whose host end is not on the bridge",
    make: async (ns) => {
      const host = `fh${++seq}`;
      await must(["ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", String(ns.pid)]);
    },
  },
];

describe.each(IMPLS)("$name", (impl) => {
  test.each(FOREIGN)("DEL after a failed ADD: $name", async (f) => {
    await using ns = await tempNetns();
    await f.make(ns);
    const network = `foreign${++seq}`;
    const add = await call(impl, "ADD", ns, network);
    expect(add.code).toBe(1);
    expect((add.json as { msg: string }).msg).toContain("already exists");
    const del = await call(impl, "DEL", ns, network);
    expect({ code: del.code, stdout: del.stdout }).toEqual({ code: 0, stdout: "" });
    const eth0 = await link("eth0", ns);
    if (impl.deletesForeign) expect(eth0).toBeUndefined();
    else expect(eth0?.linkinfo?.info_kind).toBe("veth");
  });

  test("DEL of an attachment it made removes the container interface and the host veth", async () => {
    await using ns = await tempNetns();
    const network = `own${++seq}`;
    const before = await hostVeths();
    const add = await call(impl, "ADD", ns, network);
    expect(add.code).toBe(0);
    expect(await link("eth0", ns)).toBeDefined();
    const del = await call(impl, "DEL", ns, network);
    expect({ code: del.code, stdout: del.stdout }).toEqual({ code: 0, stdout: "" });
    expect(await link("eth0", ns)).toBeUndefined();
    expect((await hostVeths()).filter((v) => !before.includes(v))).toEqual([]);
    expect(reservations(join(data.path, impl.name), network)).toEqual([]);
  });
});
