/**
 * Names that reach firewall rules (interface name, container ID, network name, and the comments
 * built from them) fuzzed through ADD → CHECK → DEL and ADD → GC of bridge (ipMasq) + portmap,
 * on both backends (iptables layout; ipMasqBackend/backend nftables), with a bystander
 * attachment in place: afterwards the firewall is exactly what it was (nothing left behind) and
 * the bystander's rules are all still there (nothing else removed). Before the netlink read
 * path, an interface name with `{` or `#` made DEL and GC of nft masquerade rules leave the rule
 * (and every later rule of the chain) behind. Last, the conditions class (issue #25): verdicts and
 * statements in portmap conditions never reach a batch.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IPTABLES_REFUSED, IPTABLES_VALID_PREFIXES, NFT_REFUSED, NFT_VALID_PREFIXES } from "../fixtures/conditions.ts";
import { distDir, mustExec, requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(180_000);

const work = mkdtempSync(join(tmpdir(), "tscni-fuzz-"));
const ENV = { TSCNI_FIREWALL_LOCK: join(work, "fw.lock") };

/** Legal Linux interface names (≤ 15 bytes; no '/', ':' or whitespace) chosen to break parsers. */
const IFNAMES = ["e{#x", "a}b#c", "{", "}", "#", "x{y}z#{", "e;x", "q'z", "h#andle", "éth{0", "a\\b", 'x"y'];
/** Container IDs as runtimes may send them (the reference's allowed alphabet). */
const IDS = ["c1", "C.2_x-y", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"];
const NETWORKS = ["fuzz", "net.with_dots-1"];

type Backend = "iptables" | "nftables";

async function firewall(): Promise<string> {
  const clean = (t: string) => t.split("\n").filter((l) => !l.startsWith("#")).map((l) => l.replace(/\[\d+:\d+\]/, "[0:0]"));
  return [
    ...clean(await mustExec(["iptables-save", "-t", "nat"])),
    ...clean(await mustExec(["ip6tables-save", "-t", "nat"])),
    // Counters of the iptables-nft rules count the new links' own packets (ND, MLD): zeroed.
    (await mustExec(["nft", "list", "ruleset"])).replace(/counter packets \d+ bytes \d+/g, "counter packets 0 bytes 0"),
  ].join("\n");
}

const bridgeConf = (network: string, backend: Backend) => ({
  cniVersion: "1.1.0",
  name: network,
  type: "bridge",
  bridge: backend === "iptables" ? "fz-ipt" : "fz-nft",
  isGateway: true,
  ipMasq: true,
  ipMasqBackend: backend,
  ipam: {
    type: "host-local",
    dataDir: join(work, "ipam"),
    ranges: [[{ subnet: backend === "iptables" ? "10.91.0.0/16" : "10.92.0.0/16" }], [{ subnet: backend === "iptables" ? "fd91::/64" : "fd92::/64" }]],
  },
});

const portmapConf = (network: string, backend: Backend, prevResult: unknown) => ({
  cniVersion: "1.1.0",
  name: network,
  type: "portmap",
  backend,
  snat: true,
  prevResult,
  runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }, { hostPort: 5353, containerPort: 53, protocol: "udp" }] },
});

interface Attachment {
  readonly network: string;
  readonly id: string;
  readonly ifname: string;
}

let nets: TempNetns[] = [];
beforeAll(() => {
  nets = [];
});
afterAll(async () => {
  for (const n of nets) await n[Symbol.asyncDispose]();
});

async function call(plugin: "bridge" | "portmap", command: string, conf: object, a: Attachment, netns: string) {
  return runCni(tscni(plugin), { command, containerId: a.id, netns, ifname: a.ifname, path: distDir, stdin: conf, env: ENV });
}

/**
 * nft strings cannot carry `"` or `\`, so the nftables masquerade refuses such interface names
 * (as bad input: error, nothing changed) rather than writing a rule `nft` could not list.
 */
const refused = (a: Attachment, backend: Backend): boolean => backend === "nftables" && /["\\]/.test(a.ifname);

/** ADD of bridge then portmap; returns the prevResult portmap got (for CHECK and DEL). */
async function add(a: Attachment, backend: Backend, netns: string): Promise<unknown> {
  if (refused(a, backend)) {
    const before = await firewall();
    const br = await call("bridge", "ADD", bridgeConf(a.network, backend), a, netns);
    expect({ a, code: br.code, msg: (br.json as { msg?: string } | undefined)?.msg }).toEqual({ a, code: 1, msg: `invalid interface name ${JSON.stringify(a.ifname)}` });
    expect(await firewall()).toBe(before);
    return undefined;
  }
  const br = await call("bridge", "ADD", bridgeConf(a.network, backend), a, netns);
  expect({ a, code: br.code, stderr: br.stderr }).toEqual({ a, code: 0, stderr: "" });
  const pm = await call("portmap", "ADD", portmapConf(a.network, backend, br.json), a, netns);
  expect({ a, code: pm.code, stderr: pm.stderr }).toEqual({ a, code: 0, stderr: "" });
  return br.json;
}

async function newNetns(): Promise<string> {
  const n = await tempNetns();
  nets.push(n);
  return n.path;
}

describe.each(["iptables", "nftables"] as const)("%s: fuzzed names", (backend) => {
  const bystander: Attachment = { network: "fuzz", id: "bystander", ifname: "eth0" };

  test("ADD → CHECK → DEL leaves exactly the bystander's state", async () => {
    await add(bystander, backend, await newNetns());
    const before = await firewall();
    const cases: Attachment[] = [
      ...IFNAMES.map((ifname, i) => ({ network: NETWORKS[i % 2] ?? "fuzz", id: IDS[i % 3] ?? "c1", ifname })),
      ...IDS.map((id) => ({ network: "net.with_dots-1", id, ifname: "e{#x" })),
    ];
    for (const a of cases) {
      const netns = await newNetns();
      const prev = await add(a, backend, netns);
      if (!refused(a, backend)) expect(await firewall()).not.toBe(before);
      const checks = [
        ["bridge", { ...bridgeConf(a.network, backend), prevResult: prev }],
        ["portmap", portmapConf(a.network, backend, prev)],
      ] as const;
      for (const [plugin, conf] of prev === undefined ? [] : checks) {
        const r = await call(plugin, "CHECK", conf, a, netns);
        expect({ a, plugin, code: r.code, stderr: r.stderr }).toEqual({ a, plugin, code: 0, stderr: "" });
      }
      for (const [plugin, conf] of [["portmap", portmapConf(a.network, backend, prev)], ["bridge", bridgeConf(a.network, backend)]] as const) {
        const r = await call(plugin, "DEL", conf, a, netns);
        expect({ a, plugin, code: r.code, stderr: r.stderr }).toEqual({ a, plugin, code: 0, stderr: "" });
      }
      expect({ a, state: await firewall() }).toEqual({ a, state: before });
    }
  });

  test("ADD → GC (bystander valid) leaves exactly the bystander's state", async () => {
    const before = await firewall();
    expect(before).toContain("bystander");
    const cases = IFNAMES.map((ifname, i) => ({ network: "fuzz", id: `g${i}`, ifname }));
    const netnsOf = new Map<Attachment, string>();
    for (const a of cases) {
      netnsOf.set(a, await newNetns());
      await add(a, backend, netnsOf.get(a) ?? "");
    }
    const valid = { "cni.dev/valid-attachments": [{ containerID: bystander.id, ifname: bystander.ifname }] };
    for (const plugin of ["portmap", "bridge"] as const) {
      const conf = plugin === "bridge" ? { ...bridgeConf("fuzz", backend), ...valid } : { ...portmapConf("fuzz", backend, undefined), ...valid };
      const r = await runCni(tscni(plugin), { command: "GC", path: distDir, stdin: conf, env: ENV });
      expect({ plugin, code: r.code, stderr: r.stderr }).toEqual({ plugin, code: 0, stderr: "" });
    }
    if (backend === "nftables") {
      // nft portmap rules name only their container: one network's GC cannot prove them its own
      // and leaves them (docs/compatibility.md); each attachment's DEL removes them.
      const added = cases.filter((a) => !refused(a, backend));
      const left = await firewall();
      expect(added.filter((a) => !left.includes(`comment "${a.id}"`))).toEqual([]);
      for (const a of added) {
        const r = await call("portmap", "DEL", portmapConf(a.network, backend, undefined), a, netnsOf.get(a) ?? "");
        expect({ a, code: r.code, stderr: r.stderr }).toEqual({ a, code: 0, stderr: "" });
      }
    }
    expect(await firewall()).toBe(before);
  });
});

/**
 * The conditions class: every nft statement keyword and iptables target/goto/command/`--set-*`,
 * alone and after valid matches, in conditionsV4 and conditionsV6 of a portmap ADD that maps
 * ports (with and without `backend` for nft-style lists, which then selects nftables): exit 1,
 * CNI code 7 naming the token, and the firewall exactly as before: nothing reached a batch.
 */
describe("conditions fuzz class", () => {
  const classes = [
    ["nftables", NFT_REFUSED, NFT_VALID_PREFIXES],
    ["iptables", IPTABLES_REFUSED, IPTABLES_VALID_PREFIXES],
  ] as const;
  test.each(classes)("%s: refused before any change", async (backend, refused, prefixes) => {
    const a: Attachment = { network: "fuzz", id: "cond", ifname: "eth0" };
    const netns = await newNetns();
    const before = await firewall();
    const prev = {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", sandbox: netns }],
      ips: [
        { address: "10.93.0.2/24", interface: 0 },
        { address: "fd93::2/64", interface: 0 },
      ],
    };
    let n = 0;
    for (const c of refused) {
      for (const prefix of prefixes) {
        // iptables prefixes are family-neutral; nft ones match IPv4, so they go to conditionsV4 only.
        const lists = backend === "iptables" || prefix.length === 0 ? (["conditionsV4", "conditionsV6"] as const) : (["conditionsV4"] as const);
        for (const what of lists) {
          // A list that does not start with a match looks nft-style to the backend choice.
          const { backend: _, ...unset } = portmapConf(a.network, backend, prev);
          for (const base of backend === "nftables" ? [portmapConf(a.network, backend, prev), unset] : [portmapConf(a.network, backend, prev)]) {
            // IPv6 packets are matched with `ip6`: `ip dscp` there is refused for its family first.
            const tokens = what === "conditionsV6" && c.tokens[0] === "ip" ? ["ip6", ...c.tokens.slice(1)] : c.tokens;
            const conf = { ...base, [what]: [...prefix, ...tokens] };
            const r = await call("portmap", "ADD", conf, a, netns);
            const msg = (r.json as { msg?: string } | undefined)?.msg ?? "";
            expect({ conf, code: r.code, json: (r.json as { code?: number } | undefined)?.code, named: msg.startsWith(`${what}: ${JSON.stringify(c.names)} is not allowed`) }).toEqual({
              conf,
              code: 1,
              json: 7,
              named: true,
            });
            n++;
          }
        }
      }
    }
    expect(await firewall()).toBe(before);
    console.log(`conditions fuzz (${backend}): ${n} ADDs refused, firewall unchanged`);
  });
});
