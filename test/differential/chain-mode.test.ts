/**
 * Chain mode (plugins/tscni-chain) is the plain conflist served by one exec: the runtimes'
 * conflists run through `tscni run` both ways give the same result JSON, the same kernel,
 * firewall and dataDir state and the same cache (its `config` aside: the list the runtime read)
 * after every step; a pod added one way, by tscni or by the reference plugins, is deleted the
 * other way; a member failing ADD, DEL or CHECK behaves as libcni's list functions.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { distDir, NETNS_TIMEOUT, referenceDir, requireIsolatedHost, tempDir } from "../harness.ts";
import { privateVarLib } from "../fixtures/bridge/support.ts";
import { asChainSees, type List, play, type Play, type Step, stubDir, withPlainConfig } from "./chain-mode-world.ts";
import { countCase, V191_DIR } from "./oracles.ts";

requireIsolatedHost();
beforeAll(privateVarLib);

const stubs = tempDir("tscni-chain-stubs-");
const STUBS = stubDir(stubs.path);
/** tscni first, then the stubs, then Debian's plugins for the types tscni does not implement. */
const TSCNI_PATH = [distDir, STUBS, referenceDir].join(":");

const portmap = { type: "portmap", capabilities: { portMappings: true } };
const PORTS = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] };

const containerd = (cniVersion = "1.0.0"): List => ({
  cniVersion,
  name: "containerd-net",
  plugins: [
    {
      type: "bridge",
      bridge: "cni0",
      isGateway: true,
      ipMasq: true,
      promiscMode: true,
      ipam: { type: "host-local", ranges: [[{ subnet: "10.88.0.0/16" }], [{ subnet: "2001:4860:4860::/64" }]], routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }] },
    },
    portmap,
  ],
});

/** Name, list, capability args, exit codes of LIFECYCLE (CHECK below 0.4.0 is refused; a second ADD finds eth0). */
const NETWORKS: [string, List, object | undefined, number[]][] = [
  ["containerd", containerd(), PORTS, [0, 0, 1, 0, 0]],
  [
    "CRI-O",
    { cniVersion: "0.3.1", name: "crio", plugins: [{ type: "bridge", bridge: "cni0", isGateway: true, ipMasq: true, hairpinMode: true, ipam: { type: "host-local", routes: [{ dst: "0.0.0.0/0" }], ranges: [[{ subnet: "10.85.0.0/16" }]] } }] },
    undefined,
    [0, 1, 1, 0, 0],
  ],
  [
    "podman (firewall and tuning exec'd from CNI_PATH)",
    {
      cniVersion: "0.4.0",
      name: "podman",
      plugins: [
        { type: "bridge", bridge: "cni-podman0", isGateway: true, ipMasq: true, hairpinMode: true, ipam: { type: "host-local", routes: [{ dst: "0.0.0.0/0" }], ranges: [[{ subnet: "10.89.0.0/24", gateway: "10.89.0.1" }]] } },
        portmap,
        { type: "firewall", backend: "" },
        { type: "tuning" },
      ],
    },
    PORTS,
    [0, 0, 1, 0, 0],
  ],
  [
    "k3s (flannel stub, bandwidth exec'd)",
    { name: "cbr0", cniVersion: "1.0.0", plugins: [{ type: "flannel", delegate: { hairpinMode: true, forceAddress: true, isDefaultGateway: true } }, portmap, { type: "bandwidth", capabilities: { bandwidth: true } }] },
    { ...PORTS, bandwidth: { ingressRate: 1000000, ingressBurst: 100000 } },
    [0, 0, 1, 0, 0],
  ],
  ["flannel (stub)", { name: "cbr0", cniVersion: "0.3.1", plugins: [{ type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } }, portmap] }, PORTS, [0, 1, 1, 0, 0]],
];

const LIFECYCLE: Step[] = [{ verb: "add" }, { verb: "check" }, { verb: "add" }, { verb: "del" }, { verb: "del" }];

async function bothWays(p: Omit<Play, "mode">): Promise<{ plain: unknown[]; chain: unknown[] }> {
  const plain = await play({ ...p, mode: "plain" });
  const chain = await play({ ...p, mode: "chain" });
  for (const s of p.steps) countCase("tscni-chain", s.verb.toUpperCase());
  return { plain: asChainSees(plain as never), chain: withPlainConfig(chain as never, p.list) };
}

describe("plain conflist and chain mode through tscni run", () => {
  test.each(NETWORKS)(
    "%s: ADD, CHECK, ADD again, DEL, DEL again",
    async (_label, list, capArgs, codes) => {
      const { plain, chain } = await bothWays({ list, binDir: TSCNI_PATH, capArgs: capArgs as never, steps: LIFECYCLE });
      expect(exitCodes(plain)).toEqual(codes);
      expectSame(chain, plain);
    },
    NETNS_TIMEOUT * 2,
  );

  test(
    "spec 1.1.0: STATUS, GC keeping the pod, GC with no valid attachment (stale DEL through the chain)",
    async () => {
      const steps: Step[] = [{ verb: "add" }, { verb: "status" }, { verb: "gc", flags: ["--valid", "ctr0:eth0"] }, { verb: "gc" }, { verb: "check" }];
      const { plain, chain } = await bothWays({ list: containerd("1.1.0"), binDir: TSCNI_PATH, capArgs: PORTS as never, steps });
      expect(exitCodes(plain)).toEqual([0, 0, 0, 0, 1]);
      expectSame(chain, plain);
    },
    NETNS_TIMEOUT * 2,
  );
});

describe("a member that fails behaves as in libcni's list functions", () => {
  const withFailer = (): List => {
    const l = containerd();
    return { ...l, plugins: [(l.plugins as object[])[0], { type: "failer" }, (l.plugins as object[])[1]] };
  };
  test.each([
    ["ADD (the runtime then DELs the whole list)", [{ verb: "add", env: { FAIL_ON: "ADD" } }, { verb: "del" }]],
    ["DEL (members after it in reverse order not run, cache kept)", [{ verb: "add" }, { verb: "del", env: { FAIL_ON: "DEL" } }, { verb: "del" }]],
    ["CHECK (its error unwrapped, later members not run)", [{ verb: "add" }, { verb: "check", env: { FAIL_ON: "CHECK" } }, { verb: "del" }]],
  ] as [string, Step[]][])(
    "%s",
    async (_label, steps) => {
      const { plain, chain } = await bothWays({ list: withFailer(), binDir: TSCNI_PATH, capArgs: PORTS as never, steps });
      expect(exitCodes(plain)).toEqual(steps.map((s) => (s.env === undefined ? 0 : 1)));
      expect(JSON.stringify(plain)).toContain("failer says no; on purpose");
      expectSame(chain, plain);
    },
    NETNS_TIMEOUT * 2,
  );
});

describe("interop: added one way, deleted the other", () => {
  const V191_PATH = [V191_DIR, referenceDir].join(":");
  // Each crossed pair is compared with the same ADD and DEL implementations, both plain.
  test.each([
    ["ADD plain by tscni, DEL in chain mode", "plain", TSCNI_PATH, "chain", TSCNI_PATH],
    ["ADD plain by the v1.9.1 reference plugins, DEL in chain mode", "plain", V191_PATH, "chain", TSCNI_PATH],
    ["ADD in chain mode, DEL plain by tscni", "chain", TSCNI_PATH, "plain", TSCNI_PATH],
    ["ADD in chain mode, DEL plain by the v1.9.1 reference plugins", "chain", TSCNI_PATH, "plain", V191_PATH],
  ] as const)(
    "%s",
    async (_label, addMode, addPath, delMode, delPath) => {
      const base = { list: containerd(), capArgs: PORTS as never } as const;
      const crossed = await play({ ...base, mode: addMode, binDir: addPath, steps: [{ verb: "add" }, { verb: "del", mode: delMode, binDir: delPath }] });
      const plain = await play({ ...base, mode: "plain", binDir: addPath, steps: [{ verb: "add" }, { verb: "del", binDir: delPath }] });
      countCase("tscni-chain", "DEL");
      // Both plays' ADD and DEL exit codes, with their stderr: the plain play is the baseline, so a
      // failed step there is named here instead of showing up as a state difference after DEL.
      const outcomes = (r: unknown[]) => [r[0], r[2]].map((x) => ({ code: (x as { code: number }).code, stderr: (x as { stderr: string }).stderr }));
      const ok = [{ code: 0, stderr: "" }, { code: 0, stderr: "" }];
      expect({ crossed: outcomes(crossed), plain: outcomes(plain) }).toEqual({ crossed: ok, plain: ok });
      expect(JSON.stringify(crossed.at(-1))).not.toContain("VETH");
      expect(JSON.stringify(plain.at(-1))).not.toContain("VETH");
      expect(crossed.at(-1)).toEqual(plain.at(-1));
    },
    NETNS_TIMEOUT * 2,
  );
});

/** Equal records; on a difference, the first differing step only (a whole world state is long). */
function expectSame(chain: unknown[], plain: unknown[]): void {
  const i = plain.findIndex((r, k) => JSON.stringify(r) !== JSON.stringify(chain[k]));
  if (i >= 0) expect(chain[i]).toEqual(plain[i]);
  expect(chain.length).toBe(plain.length);
}

const exitCodes = (records: unknown[]): number[] => records.flatMap((r) => ((r as { code?: number }).code === undefined ? [] : [(r as { code: number }).code]));
