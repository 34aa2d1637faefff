/**
 * bridge: swaps between the references (v1.9.1 and Debian's v1.1.1) and tscni, failures, and the
 * places where tscni deliberately differs from v1.9.1. Each test runs in its own fresh host netns
 * (see test/fixtures/bridge/support.ts). "The reference" below is the v1.9.1 oracle.
 *
 *  - Swap: ADD by one implementation, CHECK and DEL by the other, both directions, both masquerade
 *    backends (v1.1.1 has iptables only), leaves no veth, no IP reservation, no masquerade chain
 *    or nft rule and no macspoofchk chain or rule.
 *  - Failures: IPAM failing mid-ADD, a failure after IPAM, a missing IPAM binary, a non-bridge link
 *    named like the bridge, a netns deleted before DEL. Error code and message are compared with
 *    the reference; the residue is asserted for tscni, which fixes the reference's leaks
 *    (checklist Appendix B 11, docs/compatibility.md). The reference's own residue is asserted
 *    too, so this file notices if the oracle changes.
 *  - The other deliberate differences of Appendix B 10–12 that concern bridge: L2 CHECK passes,
 *    isDefaultGateway with a gw-less IPAM default route works, GC frees stale reservations and
 *    masquerade rules (v1.9.1's frees nothing).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { requireIsolatedHost, type TempNetns } from "../harness.ts";
import {
  bridgeCall,
  DEFAULT_DATA_DIR,
  type Impl,
  privateVarLib,
  REF,
  REF111,
  resetDataDir,
  TS,
  world,
  type World,
} from "../fixtures/bridge/support.ts";
import type { Conf } from "../fixtures/bridge/runtime-configs.ts";
import { BridgeNames, normalizeOutput } from "./normalize.ts";

requireIsolatedHost();

const TIMEOUT = 120_000;

beforeAll(() => privateVarLib());

interface Residue {
  hostVeths: number;
  containerLinks: string[];
  ipFiles: string[];
  masqChains: string[];
  spoofChains: string[];
  nftMasqRules: number;
}

/** What one attachment can leave behind, in the host and one container netns. */
async function residue(w: World, ctr: TempNetns | undefined, net: string): Promise<Residue> {
  const veths = await w.host.run(["ip", "-j", "link", "show", "type", "veth"]);
  const hostVeths = (JSON.parse(veths.stdout || "[]") as { ifname: string }[]).filter((l) => l.ifname.startsWith("veth")).length;
  let containerLinks: string[] = [];
  if (ctr !== undefined) {
    const r = await ctr.run(["ip", "-j", "link", "show"]);
    if (r.code === 0) containerLinks = (JSON.parse(r.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname).filter((n) => n !== "lo");
  }
  let ipFiles: string[] = [];
  try {
    ipFiles = readdirSync(join(DEFAULT_DATA_DIR, net)).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip")).sort();
  } catch {
    ipFiles = [];
  }
  const ipt = (await w.host.run(["iptables-save", "-t", "nat"])).stdout + (await w.host.run(["ip6tables-save", "-t", "nat"])).stdout;
  const masqChains = [...new Set(ipt.split("\n").filter((l) => /^:CNI-[0-9a-f]{24} /.test(l)).map((l) => l.split(" ")[0] ?? ""))];
  const nft = (await w.host.run(["nft", "list", "ruleset"])).stdout;
  const spoofChains = nft.split("\n").filter((l) => /chain cni-br-iface-/.test(l) || /macspoofchk-/.test(l)).map((l) => l.trim());
  let nftMasqRules = 0;
  const masq = await w.host.run(["nft", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks"]);
  if (masq.code === 0) nftMasqRules = masq.stdout.split("\n").filter((l) => /\bmasquerade\b.*\bcomment "/.test(l) && !l.trimStart().startsWith("table")).length;
  return { hostVeths, containerLinks, ipFiles, masqChains, spoofChains, nftMasqRules };
}

const CLEAN: Residue = { hostVeths: 0, containerLinks: [], ipFiles: [], masqChains: [], spoofChains: [], nftMasqRules: 0 };

const DUAL = { type: "host-local", ranges: [[{ subnet: "10.50.0.0/24" }], [{ subnet: "fd50::/64" }]], routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }] };
const conf = (extra: Conf = {}, version = "1.0.0"): Conf => ({ cniVersion: version, name: "failnet", type: "bridge", bridge: "cni0", isGateway: true, ipam: DUAL, ...extra });

function errorOf(impl: Impl, stdout: string, names: BridgeNames): unknown {
  names.path(impl.cniPath, "@CNI_PATH@");
  try {
    return JSON.parse(normalizeOutput(stdout, names)) as unknown;
  } catch {
    return stdout;
  }
}

describe("swap: ADD by one implementation, CHECK and DEL by the other", () => {
  const swaps: [string, Impl, Impl, "iptables" | "nftables"][] = [];
  for (const backend of ["iptables", "nftables"] as const) {
    for (const ref of backend === "nftables" ? [REF] : [REF, REF111]) {
      swaps.push([`${ref.name} ADD, tscni CHECK+DEL (${backend})`, ref, TS, backend], [`tscni ADD, ${ref.name} CHECK+DEL (${backend})`, TS, ref, backend]);
    }
  }
  test.each(swaps)("%s leaves no veth, reservation, chain or nft rule", async (_name, adder, deleter, backend) => {
    const swapConf = conf({ ipMasq: true, macspoofchk: true, ...(backend === "nftables" ? { ipMasqBackend: "nftables" } : {}) });
    resetDataDir();
    await using w = await world(1);
    const ctr = w.containers[0];
    const netns = ctr?.path ?? "";
    const a = await bridgeCall(swapConf, { impl: adder, host: w.host, command: "ADD", netns });
    expect({ code: a.code, stdout: a.code === 0 ? "" : a.stdout }).toEqual({ code: 0, stdout: "" });
    const during = await residue(w, ctr, "failnet");
    expect(during).toMatchObject({ hostVeths: 1, containerLinks: ["eth0"], ipFiles: ["10.50.0.2", "fd50::2"] });
    if (backend === "iptables") expect(during.masqChains).toHaveLength(1);
    else expect(during.nftMasqRules).toBe(2);
    expect(during.spoofChains.length).toBeGreaterThan(0);
    const c = await bridgeCall({ ...swapConf, prevResult: a.json }, { impl: deleter, host: w.host, command: "CHECK", netns });
    expect({ code: c.code, stdout: c.stdout }).toEqual({ code: 0, stdout: "" });
    const d = await bridgeCall(swapConf, { impl: deleter, host: w.host, command: "DEL", netns });
    expect({ code: d.code, stdout: d.stdout }).toEqual({ code: 0, stdout: "" });
    expect(await residue(w, ctr, "failnet")).toEqual(CLEAN);
  }, TIMEOUT);
});

interface FailCase {
  name: string;
  conf: Conf;
  /** Prepare the host (before the failing ADD). */
  setup?: (w: World) => Promise<void>;
  /** A first successful ADD in container 1 (e.g. to exhaust the range). */
  first?: boolean;
  /** What the reference leaves behind (documented quirk); tscni must leave `CLEAN` (+ `first`). */
  refResidue: Partial<Residue>;
  /** The error message, for both (after 5b). */
  msg: string | RegExp;
}

const FAILS: FailCase[] = [
  {
    name: "IPAM fails mid-ADD (range exhausted)",
    conf: conf({ ipam: { type: "host-local", ranges: [[{ subnet: "10.51.0.0/30" }]] } }),
    first: true,
    refResidue: { hostVeths: 2, containerLinks: ["eth0"] },
    msg: /^failed to allocate for range 0: no IP addresses available in range set: 10\.51\.0\.1-10\.51\.0\.2$/,
  },
  {
    name: "failure after IPAM (bridge has another IPv4 address): IPAM released",
    conf: conf(),
    setup: async (w) => {
      await w.host.run(["ip", "link", "add", "cni0", "type", "bridge"]);
      await w.host.run(["ip", "addr", "add", "10.99.0.1/24", "dev", "cni0"]);
    },
    refResidue: { hostVeths: 1, containerLinks: ["eth0"] },
    msg: 'failed to set bridge addr: "cni0" already has an IP address different from 10.50.0.1/24',
  },
  {
    name: "missing IPAM binary",
    conf: conf({ ipam: { type: "nope" } }),
    refResidue: { hostVeths: 1, containerLinks: ["eth0"] },
    msg: 'failed to find plugin "nope" in path [@CNI_PATH@]',
  },
  {
    name: "a non-bridge link named like the bridge",
    conf: conf(),
    setup: async (w) => {
      await w.host.run(["ip", "link", "add", "cni0", "type", "veth", "peer", "name", "cni0peer"]);
    },
    refResidue: {},
    msg: 'failed to create bridge "cni0": "cni0" already exists but is not a bridge',
  },
  {
    name: "L2 at 0.2.0: cannot convert the result",
    conf: { cniVersion: "0.2.0", name: "failnet", type: "bridge", bridge: "cni0" },
    refResidue: { hostVeths: 1, containerLinks: ["eth0"] },
    msg: "cannot convert: no valid IP addresses",
  },
];

describe("failed ADD: same error; tscni leaves nothing, the reference leaks the veth", () => {
  for (const f of FAILS) {
    test(f.name, async () => {
      const seen: Record<string, unknown> = {};
      for (const impl of [REF, TS]) {
        resetDataDir();
        await using w = await world(2);
        const [c0, c1] = w.containers;
        if (f.setup) await f.setup(w);
        const baseHostVeths = (await residue(w, c0, "failnet")).hostVeths;
        let baseline: Residue = { ...CLEAN, hostVeths: baseHostVeths };
        if (f.first) {
          const r = await bridgeCall(f.conf, { impl, host: w.host, command: "ADD", containerId: "first", netns: c1?.path ?? "" });
          expect(r.code).toBe(0);
          baseline = { ...(await residue(w, c0, "failnet")), containerLinks: [] };
        }
        const r = await bridgeCall(f.conf, { impl, host: w.host, command: "ADD", netns: c0?.path ?? "" });
        const err = errorOf(impl, r.stdout, new BridgeNames()) as { code?: number; msg?: string };
        expect({ impl: impl.name, exit: r.code, code: err.code }).toEqual({ impl: impl.name, exit: 1, code: 999 });
        if (typeof f.msg === "string") expect(err.msg).toBe(f.msg);
        else expect(err.msg ?? "").toMatch(f.msg);
        const left = await residue(w, c0, "failnet");
        const expected = impl === TS ? baseline : { ...baseline, ...f.refResidue };
        seen[impl.name] = left;
        expect({ impl: impl.name, left }).toEqual({ impl: impl.name, left: expected });
        // The attachment can still be deleted afterwards (runtimes do), by either implementation.
        const d = await bridgeCall(f.conf, { impl, host: w.host, command: "DEL", netns: c0?.path ?? "" });
        if (f.name !== "missing IPAM binary") expect({ impl: impl.name, del: d.code }).toEqual({ impl: impl.name, del: 0 });
      }
    }, TIMEOUT);
  }

  // v1.9.1 finds out after creating the bridge, addressing it and allocating (then releasing) an
  // address; tscni refuses before the first change. Same code and message.
  test("unknown ipMasqBackend: the same error, tscni before any change", async () => {
    const errors: Record<string, unknown> = {};
    for (const impl of [REF, TS]) {
      resetDataDir();
      await using w = await world(1);
      const c0 = w.containers[0];
      const r = await bridgeCall(conf({ ipMasq: true, ipMasqBackend: "foo" }), { impl, host: w.host, command: "ADD", netns: c0?.path ?? "" });
      errors[impl.name] = { exit: r.code, stdout: r.stdout, stderr: r.stderr };
      if (impl === TS) {
        expect(await residue(w, c0, "failnet")).toEqual(CLEAN);
        expect((await w.host.run(["ip", "link", "show", "cni0"])).code).not.toBe(0);
      }
    }
    expect(errors.tscni).toEqual(errors["v1.9.1"]);
  }, TIMEOUT);
});

describe("netns deleted before DEL", () => {
  test.each([
    ["iptables", "reference", REF],
    ["iptables", "tscni", TS],
    ["nftables", "tscni", TS],
  ] as const)("ipMasq %s, %s: IP released; masquerade rules removed by tscni", async (backend, _name, impl) => {
    resetDataDir();
    await using w = await world(1);
    const c0 = w.containers[0];
    const netns = c0?.path ?? "";
    const c = conf({ ipMasq: true, ...(backend === "nftables" ? { ipMasqBackend: "nftables" } : {}) });
    const a = await bridgeCall(c, { impl, host: w.host, command: "ADD", netns });
    expect(a.code).toBe(0);
    await c0?.[Symbol.asyncDispose]();
    for (let t = 0; t < 200 && (await residue(w, undefined, "failnet")).hostVeths > 0; t++) await Bun.sleep(10);
    const d = await bridgeCall(c, { impl, host: w.host, command: "DEL", netns });
    expect({ code: d.code, stdout: d.stdout }).toEqual({ code: 0, stdout: "" });
    const left = await residue(w, undefined, "failnet");
    // The reference cannot find the addresses, so its iptables chain leaks (Appendix B 11).
    if (impl === REF) expect({ ...left, masqChains: left.masqChains.length }).toEqual({ ...CLEAN, masqChains: 1 });
    else expect(left).toEqual(CLEAN);
  }, TIMEOUT);

  test.each([
    ["reference", REF],
    ["tscni", TS],
  ] as const)("CNI_NETNS empty on DEL, %s: IPAM released", async (_name, impl) => {
    resetDataDir();
    await using w = await world(1);
    const c0 = w.containers[0];
    const c = conf({ ipMasq: true });
    expect((await bridgeCall(c, { impl, host: w.host, command: "ADD", netns: c0?.path ?? "" })).code).toBe(0);
    const d = await bridgeCall(c, { impl, host: w.host, command: "DEL", netns: "" });
    expect(d.code).toBe(0);
    const left = await residue(w, undefined, "failnet");
    expect(left.ipFiles).toEqual([]);
    if (impl === TS) expect(left.masqChains).toEqual([]);
  }, TIMEOUT);
});

describe("reference defects tscni fixes (Appendix B 11, 12)", () => {
  test("L2 CHECK passes (the reference always fails with `no plugin name provided`)", async () => {
    const l2 = { cniVersion: "1.0.0", name: "l2net", type: "bridge", bridge: "br2" };
    for (const impl of [REF, TS]) {
      await using w = await world(1);
      const netns = w.containers[0]?.path ?? "";
      const a = await bridgeCall(l2, { impl, host: w.host, command: "ADD", netns });
      expect(a.code).toBe(0);
      const c = await bridgeCall({ ...l2, prevResult: a.json }, { impl, host: w.host, command: "CHECK", netns });
      if (impl === REF) expect(c.json).toMatchObject({ code: 999, msg: "no plugin name provided" });
      else expect({ code: c.code, stdout: c.stdout }).toEqual({ code: 0, stdout: "" });
    }
  }, TIMEOUT);

  test("isDefaultGateway with a gw-less IPAM default route: one default route per family", async () => {
    const c = conf({ isDefaultGateway: true });
    for (const impl of [REF, TS]) {
      resetDataDir();
      await using w = await world(1);
      const ctr = w.containers[0];
      const a = await bridgeCall(c, { impl, host: w.host, command: "ADD", netns: ctr?.path ?? "" });
      if (impl === REF) {
        expect((a.json as { msg: string }).msg).toMatch(/^failed to add route .* file exists$/);
        continue;
      }
      expect({ code: a.code, error: a.code === 0 ? "" : a.stdout }).toEqual({ code: 0, error: "" });
      const routes = (a.json as { routes: { dst: string }[] }).routes;
      expect(routes.filter((r) => r.dst === "0.0.0.0/0")).toHaveLength(1);
      expect(routes.filter((r) => r.dst === "::/0")).toHaveLength(1);
      for (const fam of ["-4", "-6"]) {
        const r = await ctr?.run(["ip", "-j", fam, "route", "show", "default"]);
        const defaults = JSON.parse(r?.stdout || "[]") as { gateway?: string }[];
        expect(defaults.map((d) => d.gateway)).toEqual([fam === "-4" ? "10.50.0.1" : "fd50::1"]);
      }
    }
  }, TIMEOUT);

  test("GC frees the reservations and masquerade rules of attachments not in valid-attachments", async () => {
    const c = conf({ ipMasq: true }, "1.1.0");
    const left: Record<string, unknown> = {};
    for (const impl of [REF, TS]) {
      resetDataDir();
      await using w = await world(2);
      for (const [i, ns] of w.containers.entries()) {
        expect((await bridgeCall(c, { impl, host: w.host, command: "ADD", containerId: `gc${i}`, netns: ns.path })).code).toBe(0);
      }
      const gc = await bridgeCall({ ...c, "cni.dev/valid-attachments": [{ containerID: "gc0", ifname: "eth0" }] }, { impl, host: w.host, command: "GC", netns: "" });
      expect({ impl: impl.name, code: gc.code, stdout: gc.stdout, stderr: gc.stderr }).toEqual({ impl: impl.name, code: 0, stdout: "", stderr: "" });
      const r = await residue(w, undefined, "failnet");
      left[impl.name] = { ipFiles: r.ipFiles, masqChains: r.masqChains.length };
    }
    expect(left).toEqual({
      "v1.9.1": { ipFiles: ["10.50.0.2", "10.50.0.3", "fd50::2", "fd50::3"], masqChains: 2 },
      tscni: { ipFiles: ["10.50.0.2", "fd50::2"], masqChains: 1 },
    });
  }, TIMEOUT);
});
