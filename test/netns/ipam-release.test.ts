/**
 * A failed ADD never keeps an IP reservation when it fails after the address was allocated:
 * `last_reserved_ip.0` unwritable (a symlink loop: ELOOP; a full dataDir: ENOSPC), or an IPAM
 * result the bridge cannot use. Run against host-local and the bridge (whose IPAM runs
 * in-process) of tscni, and of v1.9.1, which keeps the address file in each case; its residue is
 * asserted too, so this file notices when the oracle changes.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { distDir, exec, repoRoot, requireIsolatedHost, runCni, tempNetns, tscni } from "../harness.ts";
import { hostVeths } from "./bridge-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const V191 = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");
const IMPLS = [
  { name: "tscni", dir: distDir, bin: (p: string) => tscni(p), keeps: false },
  { name: "v1.9.1", dir: V191, bin: (p: string) => join(V191, p), keeps: true },
] as const;
type Impl = (typeof IMPLS)[number];

/** A private tmpfs (this file runs in its own mount namespace) that the ENOSPC case fills up. */
const FS = "/tmp/tscni-ipam-release";
beforeAll(async () => {
  mkdirSync(FS, { recursive: true });
  const r = await exec(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", FS]);
  if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(async () => void (await exec(["umount", FS])));

let seq = 0;
/** A fresh dataDir with its network directory (and lock file) already there. */
function dataDir(network: string): string {
  const dir = join(FS, `d${++seq}`);
  mkdirSync(join(dir, network), { recursive: true });
  writeFileSync(join(dir, network, "lock"), "");
  return dir;
}

/** Addresses reserved in `dir/network` (bookkeeping files excluded). */
function reserved(dir: string, network: string): string[] {
  return readdirSync(join(dir, network)).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip"));
}

/** Fills the tmpfs so that exactly one page is left: the address file fits, last_reserved_ip does not. */
function leaveOnePage(): () => void {
  const filler = join(FS, "filler");
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) writeFileSync(filler, chunk, { flag: "a" });
  } catch {
    // full
  }
  const { size } = Bun.file(filler);
  truncateSync(filler, size - 4096);
  return () => rmSync(filler, { force: true });
}

const ipam = (dir: string, extra: object = {}) => ({ type: "host-local", dataDir: dir, ranges: [[{ subnet: "10.60.0.0/24" }]], ...extra });

type Breakage = { name: string; prepare(dir: string, network: string): () => void; msg: string };

const BREAKAGES: Breakage[] = [
  {
    name: "last_reserved_ip.0 is a symlink loop (ELOOP)",
    prepare: (dir, network) => {
      symlinkSync("last_reserved_ip.0", join(dir, network, "last_reserved_ip.0"));
      return () => {};
    },
    msg: "too many levels of symbolic links",
  },
  { name: "the dataDir is full (ENOSPC)", prepare: () => leaveOnePage(), msg: "no space left on device" },
];

const add = (impl: Impl, plugin: string, netns: string, stdin: object) =>
  runCni(impl.bin(plugin), { command: "ADD", containerId: "c1", netns, ifname: "eth0", path: impl.dir, stdin });

async function expectReservations(impl: Impl, dir: string, network: string): Promise<void> {
  expect(reserved(dir, network)).toEqual(impl.keeps ? ["10.60.0.2"] : []);
}

describe.each(IMPLS)("$name", (impl) => {
  test.each(BREAKAGES)("host-local: $name", async (b) => {
    const dir = dataDir("hl");
    const restore = b.prepare(dir, "hl");
    try {
      const r = await add(impl, "host-local", "/run/netns/unused", { cniVersion: "1.0.0", name: "hl", ipam: ipam(dir) });
      expect(r.code).toBe(1);
      expect((r.json as { msg: string }).msg).toContain(b.msg);
    } finally {
      restore();
    }
    await expectReservations(impl, dir, "hl");
  });

  test.each(BREAKAGES)("bridge: $name", async (b) => {
    await using ns = await tempNetns();
    const dir = dataDir("br");
    const before = await hostVeths();
    const restore = b.prepare(dir, "br");
    try {
      const conf = { cniVersion: "1.0.0", name: "br", type: "bridge", bridge: `br-${impl.name.slice(0, 5)}`, ipam: ipam(dir) };
      const r = await add(impl, "bridge", ns.path, conf);
      expect(r.code).toBe(1);
      expect((r.json as { msg: string }).msg).toContain(b.msg);
    } finally {
      restore();
    }
    await expectReservations(impl, dir, "br");
    if (!impl.keeps) expect((await hostVeths()).filter((v) => !before.includes(v))).toEqual([]);
  });

  test("bridge: an IPAM result it cannot use (a route without dst) is given back", async () => {
    await using ns = await tempNetns();
    const dir = dataDir("rt");
    const conf = { cniVersion: "1.0.0", name: "rt", type: "bridge", bridge: `rt-${impl.name.slice(0, 5)}`, ipam: ipam(dir, { routes: [{}] }) };
    const r = await add(impl, "bridge", ns.path, conf);
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, "rt"))).toBe(true);
    await expectReservations(impl, dir, "rt");
  });
});
