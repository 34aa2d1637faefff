/**
 * bridge failures against the v1.9.1 oracle ("the reference"): IPAM failing mid-ADD, a failure
 * after IPAM, a missing IPAM binary, a non-bridge link named like the bridge, L2 at 0.2.0, an
 * unknown ipMasqBackend, a netns deleted (or CNI_NETNS empty) before DEL. Error code and message
 * are compared with the reference; the residue is asserted for tscni, which fixes the
 * reference's leaks (docs/compatibility.md). The reference's own residue is asserted too, so this
 * file notices if the oracle changes. Each test runs in its own fresh host netns
 * (test/fixtures/bridge/support.ts).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { bridgeCall, type Impl, privateVarLib, REF, resetDataDir, TS, world, type World } from "../fixtures/bridge/support.ts";
import type { Conf } from "../fixtures/bridge/runtime-configs.ts";
import { CLEAN, failnet, type Residue, residue } from "./bridge-residue.ts";
import { normalizeOutput } from "./normalize.ts";
import { BridgeNames } from "./scenario-names.ts";

requireIsolatedHost();

const TIMEOUT = 120_000;

beforeAll(() => privateVarLib());

function errorOf(impl: Impl, stdout: string, names: BridgeNames): unknown {
  names.path(impl.cniPath, "@CNI_PATH@");
  try {
    return JSON.parse(normalizeOutput(stdout, names)) as unknown;
  } catch {
    return stdout;
  }
}

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
    conf: failnet({ ipam: { type: "host-local", ranges: [[{ subnet: "10.51.0.0/30" }]] } }),
    first: true,
    refResidue: { hostVeths: 2, containerLinks: ["eth0"] },
    msg: /^failed to allocate for range 0: no IP addresses available in range set: 10\.51\.0\.1-10\.51\.0\.2$/,
  },
  {
    name: "failure after IPAM (bridge has another IPv4 address): IPAM released",
    conf: failnet(),
    setup: async (w) => {
      await w.host.run(["ip", "link", "add", "cni0", "type", "bridge"]);
      await w.host.run(["ip", "addr", "add", "10.99.0.1/24", "dev", "cni0"]);
    },
    refResidue: { hostVeths: 1, containerLinks: ["eth0"] },
    msg: 'failed to set bridge addr: "cni0" already has an IP address different from 10.50.0.1/24',
  },
  {
    name: "missing IPAM binary",
    conf: failnet({ ipam: { type: "nope" } }),
    refResidue: { hostVeths: 1, containerLinks: ["eth0"] },
    msg: 'failed to find plugin "nope" in path [@CNI_PATH@]',
  },
  {
    name: "a non-bridge link named like the bridge",
    conf: failnet(),
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
      const dels: Record<string, unknown> = {};
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
        // With the IPAM plugin missing, DEL cannot release and both fail it the same way.
        const d = await bridgeCall(f.conf, { impl, host: w.host, command: "DEL", netns: c0?.path ?? "" });
        dels[impl.name] = { exit: d.code, error: d.code === 0 ? undefined : errorOf(impl, d.stdout, new BridgeNames()) };
        expect({ impl: impl.name, del: d.code }).toEqual({ impl: impl.name, del: f.name === "missing IPAM binary" ? 1 : 0 });
      }
      expect(dels[TS.name]).toEqual(dels[REF.name]);
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
      const r = await bridgeCall(failnet({ ipMasq: true, ipMasqBackend: "foo" }), { impl, host: w.host, command: "ADD", netns: c0?.path ?? "" });
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
    const c = failnet({ ipMasq: true, ...(backend === "nftables" ? { ipMasqBackend: "nftables" } : {}) });
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
    const c = failnet({ ipMasq: true });
    expect((await bridgeCall(c, { impl, host: w.host, command: "ADD", netns: c0?.path ?? "" })).code).toBe(0);
    const d = await bridgeCall(c, { impl, host: w.host, command: "DEL", netns: "" });
    expect(d.code).toBe(0);
    const left = await residue(w, undefined, "failnet");
    expect(left.ipFiles).toEqual([]);
    if (impl === TS) expect(left.masqChains).toEqual([]);
  }, TIMEOUT);
});
