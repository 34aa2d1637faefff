/**
 * portmap vs the v1.9.1 oracle, both backends: the same ADD / CHECK / DEL (and GC / STATUS at
 * 1.1.0) to each, from the same empty firewall; after every call the result text, stderr and exit
 * code, then `iptables-save` and `ip6tables-save` (normaliser 7), `nft list ruleset` (counters
 * zeroed) and the route_localnet sysctls are compared. Swaps: ADD by one, CHECK and DEL by the
 * other, both directions, both backends, against v1.9.1 and (iptables) Debian's v1.1.1: nothing
 * of the container is left. Bad inputs tscni refuses change nothing. 100 containers come and go.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, mustExec, requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";
import { type Json, normalizeIptablesSave, normalizeNftRuleset } from "./normalize.ts";
import { BridgeNames } from "./scenario-names.ts";
import { countCase, v111, v191 } from "./oracles.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const ENV = { TSCNI_FIREWALL_LOCK: join(mkdtempSync(join(tmpdir(), "tscni-pm-diff-")), "fw.lock") };
const TS = tscni("portmap");
const REF = v191("portmap");
let ns: TempNetns;

/** Both families' iptables-save (normaliser 7), nft list ruleset (8), route_localnet, one line each. */
async function firewallState(): Promise<string[]> {
  const names = new BridgeNames();
  const ipt = normalizeIptablesSave((await mustExec(["iptables-save"])) + (await mustExec(["ip6tables-save"])), names);
  const nft = normalizeNftRuleset(JSON.parse(await mustExec(["nft", "-j", "list", "ruleset"])) as Json, names);
  const sysctl = await exec(["sh", "-c", "grep -H '' /proc/sys/net/ipv4/conf/*/route_localnet"]);
  return [...ipt, ...(Array.isArray(nft) ? nft.map((x) => JSON.stringify(x)) : []), ...sysctl.stdout.split("\n")];
}

/** An empty firewall; the chain externalSetMarkChain points at is recreated. */
async function reset(): Promise<void> {
  await mustExec(["nft", "flush", "ruleset"]);
  for (const tool of ["iptables", "ip6tables"]) await mustExec([tool, "-t", "nat", "-N", "KUBE-MARK-MASQ"]);
}

const IPS = {
  dual: [
    { address: "10.0.0.2/24", interface: 0 },
    { address: "2001:db8:1::2/64", interface: 0 },
  ],
  v4: [{ address: "10.0.0.2/24", interface: 0 }],
  v6: [{ address: "2001:db8:1::2/64", interface: 0 }],
};

const prevResult = (ips: keyof typeof IPS, version: string): Record<string, unknown> => ({
  cniVersion: version,
  interfaces: [{ name: "eth0", sandbox: ns.path }],
  ips: version.startsWith("0.") ? IPS[ips].map((ip) => ({ version: ip.address.includes(":") ? "6" : "4", ...ip })) : IPS[ips],
});

interface Case {
  extra?: Record<string, unknown>;
  mappings: unknown[];
  id?: string;
  ips?: keyof typeof IPS;
  version?: string;
  /** Leave GC out: tscni's GC needs a valid config, v1.9.1's GC reads none (docs/compatibility.md). */
  noGc?: boolean;
}

function conf(c: Case): Record<string, unknown> {
  const version = c.version ?? "1.1.0";
  return {
    cniVersion: version,
    name: "pmdiff",
    type: "portmap",
    prevResult: prevResult(c.ips ?? "dual", version),
    runtimeConfig: { portMappings: c.mappings },
    ...c.extra,
  };
}

const call = (binary: string, command: string, stdin: object, containerId = "ctr1") =>
  runCni(binary, { command, containerId, netns: ns.path, ifname: "eth0", path: "/usr/lib/cni", stdin, env: ENV });

const tcp = (hostPort: number, containerPort = 80, hostIP?: string) => ({ hostPort, containerPort, protocol: "tcp", ...(hostIP && { hostIP }) });
const udp = (hostPort: number, containerPort = 53, hostIP?: string) => ({ hostPort, containerPort, protocol: "udp", ...(hostIP && { hostIP }) });
const LONG_ID = "icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9ceu0daez5hashee8ooYai5wa3y";
const HOST_IPS = [tcp(8080, 80, "127.0.0.1"), tcp(8081, 81, "0.0.0.0"), udp(8082, 82, "::"), tcp(8083, 83, "2001:db8::5")];
const MANY = [...Array.from({ length: 17 }, (_, i) => tcp(9000 + i)), udp(8053), { hostPort: 7000, containerPort: 70, protocol: "sctp" }];

const SHARED: [string, Case][] = [
  ["tcp+udp, default options", { mappings: [tcp(8080), udp(8053)] }],
  ["hostIP same family, 0.0.0.0, ::, other family", { mappings: HOST_IPS }],
  ["snat false", { extra: { snat: false }, mappings: [tcp(8080), udp(8053)] }],
  ["masqAll", { extra: { masqAll: true }, mappings: [tcp(8080)] }],
  ["17 tcp ports, udp, sctp", { mappings: MANY }],
  ["duplicate host ports kept", { mappings: [tcp(8080), tcp(8080, 81)] }],
  ["256-byte comment (long container ID)", { mappings: [tcp(8080)], id: LONG_ID }],
  ["IPv4-only pod", { mappings: [tcp(8080), udp(8053)], ips: "v4" }],
  ["IPv6-only pod", { mappings: [tcp(8080), tcp(8081, 81, "2001:db8::5")], ips: "v6" }],
  ["no mappings", { mappings: [] }],
  ["0.4.0 config and result", { mappings: [tcp(8080)], version: "0.4.0" }],
  ["1.0.0 config and result", { mappings: [tcp(8080)], version: "1.0.0" }],
];

// Result conversion does not depend on the backend: the older versions run with nftables only
// (v1.9.1's iptables backend execs once per rule, the slowest oracle in the suite).
const IPTABLES: [string, Case][] = [
  ...SHARED.filter(([, c]) => c.version === undefined).map(([n, c]): [string, Case] => [n, { ...c, extra: { backend: "iptables", ...c.extra } }]),
  ["backend unset", { mappings: [tcp(8080)] }],
  ["markMasqBit 0", { extra: { markMasqBit: 0 }, mappings: [tcp(8080)] }],
  ["externalSetMarkChain", { extra: { externalSetMarkChain: "KUBE-MARK-MASQ" }, mappings: [tcp(8080), udp(8053)] }],
  ["iptables conditions", { extra: { conditionsV4: ["-s", "10.1.0.0/16"], conditionsV6: ["!", "-s", "fd00::/8"] }, mappings: [tcp(8080)] }],
];

const NFTABLES: [string, Case][] = [
  ...SHARED.map(([n, c]): [string, Case] => [n, { ...c, extra: { backend: "nftables", ...c.extra } }]),
  ["nft conditions", { extra: { backend: "nftables", conditionsV4: ["ip", "saddr", "10.1.0.0/16"], conditionsV6: ["ip6", "saddr", "!=", "fd00::/8"] }, mappings: [tcp(8080)] }],
  ["nftables with an iptables-only option", { extra: { backend: "nftables", externalSetMarkChain: "KUBE-MARK-MASQ" }, mappings: [tcp(8080)], noGc: true }],
  ["unknown backend", { extra: { backend: "bogus" }, mappings: [tcp(8080)], noGc: true }],
];

/**
 * ADD, CHECK, (1.1.0: STATUS, GC keeping it), DEL, DEL: every outcome; the firewall after the
 * steps that may change it (ADD, GC, the first DEL).
 */
async function lifecycle(binary: string, c: Case): Promise<unknown[]> {
  await reset();
  const stdin = conf(c);
  const id = c.id ?? "ctr1";
  const v11 = (c.version ?? "1.1.0") === "1.1.0";
  const steps: [string, object][] = [
    ["ADD", stdin],
    ["CHECK", stdin],
    ...(v11 ? ([["STATUS", stdin]] as [string, object][]) : []),
    ...(v11 && !c.noGc ? ([["GC", { ...stdin, "cni.dev/valid-attachments": [{ containerID: id, ifname: "eth0" }] }]] as [string, object][]) : []),
    ["DEL", stdin],
    ["DEL", stdin],
  ];
  const out: unknown[] = [];
  for (const [i, [command, body]] of steps.entries()) {
    const r = await call(binary, command, body, id);
    out.push({ command, code: r.code, stdout: r.stdout.replaceAll(ns.path, "@NETNS@"), stderr: r.stderr });
    if (["ADD", "GC"].includes(command) || (command === "DEL" && i < steps.length - 1)) out.push(await firewallState());
  }
  return out;
}

async function compare(c: Case): Promise<void> {
  const theirs = await lifecycle(REF, c);
  const ours = await lifecycle(TS, c);
  expect(ours).toEqual(theirs);
  const v11 = (c.version ?? "1.1.0") === "1.1.0";
  for (const verb of ["ADD", "CHECK", "DEL", "DEL", ...(v11 ? ["STATUS"] : []), ...(v11 && !c.noGc ? ["GC"] : [])]) countCase("portmap", verb);
}

beforeAll(async () => {
  ns = await tempNetns();
  await mustExec(["ip", "link", "set", "lo", "up"]);
});

afterAll(async () => {
  await ns[Symbol.asyncDispose]();
});

describe("iptables backend vs v1.9.1", () => {
  test.each(IPTABLES)("%s", (_name, c) => compare(c));
});

describe("nftables backend vs v1.9.1", () => {
  test.each(NFTABLES)("%s", (_name, c) => compare(c));
});

// v1.9.1 fails at its `iptables -C … -j KUBE-MARK-GONE` after creating its chains; tscni's one
// batch would be refused whole with a bare ENOENT, so its planner names the chain instead.
describe("externalSetMarkChain naming a chain the node does not have", () => {
  test("ADD fails in both, naming the chain; tscni's changes nothing", async () => {
    const c: Case = { extra: { externalSetMarkChain: "KUBE-MARK-GONE" }, mappings: [tcp(8080)] };
    const got: unknown[] = [];
    for (const binary of [REF, TS]) {
      await mustExec(["nft", "flush", "ruleset"]);
      const before = await firewallState();
      const r = await call(binary, "ADD", conf(c));
      const msg = (JSON.parse(r.stdout) as { msg: string }).msg;
      const after = await firewallState();
      got.push({ code: r.code, names: msg.includes("Chain 'KUBE-MARK-GONE' does not exist"), unchanged: after.join("\n") === before.join("\n") });
      if (binary === TS) expect(msg).toBe("unable to setup DNAT: iptables nat: Chain 'KUBE-MARK-GONE' does not exist");
      const d = await call(binary, "DEL", conf(c));
      expect(d.code).toBe(0);
    }
    expect(got).toEqual([
      { code: 1, names: true, unchanged: false },
      { code: 1, names: true, unchanged: true },
    ]);
  });
});

describe("swap: ADD by one implementation, CHECK and DEL by the other", () => {
  const mappings = [tcp(8080), udp(8053), tcp(8443, 443, "2001:db8::5")];
  // The iptables layout's rule shapes (tscni writes them in-process on this iptables-nft node).
  const shapes: [string, Case][] = [
    ["", { mappings }],
    [", markMasqBit 5", { mappings, extra: { markMasqBit: 5 } }],
    [", externalSetMarkChain", { mappings, extra: { externalSetMarkChain: "KUBE-MARK-MASQ" } }],
    [", snat false", { mappings, extra: { snat: false } }],
    [", masqAll", { mappings, extra: { masqAll: true } }],
    [", 17 tcp ports, udp, sctp", { mappings: [...MANY, tcp(8443)] }],
    [", IPv6-only pod", { mappings, ips: "v6" }],
  ];
  const cases: [string, string, string, string, Case][] = [];
  for (const backend of ["iptables", "nftables"]) {
    for (const [name, ref] of backend === "iptables" ? [["v1.9.1", REF], ["v1.1.1", v111("portmap")]] : [["v1.9.1", REF]]) {
      for (const [shape, c] of backend === "iptables" ? shapes : shapes.slice(0, 1)) {
        // Debian's v1.1.1 predates masqAll: it writes the per-subnet SNAT rule, which a masqAll CHECK rightly misses.
        if (name === "v1.1.1" && c.extra?.masqAll === true) continue;
        cases.push([`${name} ADD, tscni CHECK+DEL (${backend}${shape})`, ref ?? "", TS, backend, c], [`tscni ADD, ${name} CHECK+DEL (${backend}${shape})`, TS, ref ?? "", backend, c]);
      }
    }
  }
  test.each(cases)("%s", async (_name, adder, deleter, backend, shape) => {
    await reset();
    const baseline = await firewallState();
    // Debian's v1.1.1 knows no `backend` and no 1.1.0; it reads 1.0.0 and uses iptables.
    const c = conf({ ...shape, extra: { backend, ...shape.extra }, version: adder.includes("/usr/lib/cni") || deleter.includes("/usr/lib/cni") ? "1.0.0" : "1.1.0" });
    const a = await call(adder, "ADD", c);
    expect({ code: a.code, stderr: a.stderr }).toEqual({ code: 0, stderr: "" });
    expect((await firewallState()).join("\n")).toContain("8443");
    // Debian's v1.1.1 CHECK fails for every pod, also IPv4-only ones (docs/compatibility.md).
    if (!deleter.includes("/usr/lib/cni")) {
      const chk = await call(deleter, "CHECK", c);
      expect({ code: chk.code, stdout: chk.stdout }).toEqual({ code: 0, stdout: "" });
    }
    const d = await call(deleter, "DEL", c);
    expect({ code: d.code, stdout: d.stdout }).toEqual({ code: 0, stdout: "" });
    // Only the shared chains and tables (never deleted, by either) remain beyond the baseline.
    const extra = (await firewallState()).filter((l) => !baseline.includes(l));
    expect(extra.filter((l) => /ctr1|CNI-DN-|CNI-SN-|dnat name:|8443|8053/.test(l))).toEqual([]);
  });
});

// nftables: a rule names only its container, so one network's GC cannot prove a rule its own and
// leaves them, as v1.9.1 does; `tscni gc` removes them (test/netns/cli-gc.test.ts).
describe("GC removes what v1.9.1's GC leaves (deliberate difference, iptables layout only)", () => {
  test.each([
    ["iptables", false],
    ["nftables", true],
  ] as const)("%s", async (backend, tscniLeaves) => {
    const left: Record<string, boolean> = {};
    for (const [name, binary] of [["v1.9.1", REF], ["tscni", TS]] as const) {
      await reset();
      const c = conf({ mappings: [tcp(8080)], extra: { backend } });
      expect((await call(binary, "ADD", c, "stale")).code).toBe(0);
      const gc = await call(binary, "GC", { ...c, "cni.dev/valid-attachments": [{ containerID: "other", ifname: "eth0" }] });
      expect({ name, code: gc.code, stdout: gc.stdout, stderr: gc.stderr }).toEqual({ name, code: 0, stdout: "", stderr: "" });
      left[name] = (await firewallState()).some((l) => l.includes("stale"));
    }
    expect(left).toEqual({ "v1.9.1": true, tscni: tscniLeaves });
  });
});

// tscni refuses these before applying anything (docs/compatibility.md); v1.9.1 fails half-way
// or not at all, so there is no oracle answer to compare with: the unchanged state is the check.
describe("bad inputs tscni refuses: error JSON, exit 1, no firewall change", () => {
  const bad: [string, Record<string, unknown>, unknown[]][] = [
    ["port 70000", {}, [tcp(70000)]],
    ["bogus protocol", {}, [{ hostPort: 80, containerPort: 80, protocol: "bogus" }]],
    ["protocol with a newline", {}, [{ hostPort: 80, containerPort: 80, protocol: "tcp\n-A OUTPUT -j DROP" }]],
    ["hostIP injection", {}, [tcp(80, 80, "1.2.3.4 -j DROP")]],
    ["iptables condition with a newline", { conditionsV4: ["-s", "10.0.0.0/8\n-A OUTPUT -j DROP"] }, [tcp(80)]],
    ["nft condition with ';'", { backend: "nftables", conditionsV4: ["ip", "saddr", "1.2.3.4;", "flush", "ruleset"] }, [tcp(80)]],
    ["nft condition with '#'", { backend: "nftables", conditionsV4: ["ip", "saddr", "1.2.3.4", "#"] }, [tcp(80)]],
    ["externalSetMarkChain with a quote", { externalSetMarkChain: 'X" -j DROP' }, [tcp(80)]],
    ["over-long condition token", { conditionsV4: ["-m", "comment", "--comment", "x".repeat(5000)] }, [tcp(80)]],
  ];
  test.each(bad)("%s", async (_name, extra, mappings) => {
    await reset();
    const before = await firewallState();
    const r = await call(TS, "ADD", conf({ extra, mappings }));
    expect(r.code).toBe(1);
    // Conditions are parsed as matches (issue #25): a bad one is an invalid config, code 7.
    expect((r.json as { code: number }).code).toBe("conditionsV4" in extra ? 7 : 999);
    expect(await firewallState()).toEqual(before);
  });
});

// Scale is tscni's own property (one batch per call); the baseline it returns to is the check.
// 100 containers keep the file inside the make-test budget.
describe("100 containers with 2 mappings each", () => {
  test.each(["iptables", "nftables"])("%s: ADD and DEL keep working, rule count back to baseline", async (backend) => {
    await reset();
    const count = async (): Promise<number> =>
      backend === "iptables"
        ? (await mustExec(["iptables-save", "-t", "nat"])).split("\n").filter((l) => l.startsWith("-A ")).length
        : (await mustExec(["nft", "-a", "list", "ruleset"])).split("\n").filter((l) => l.includes("# handle") && !l.includes("{")).length;
    const v4 = { cniVersion: "1.0.0", interfaces: [{ name: "eth0", sandbox: ns.path }], ips: [{ address: "10.0.0.2/24", interface: 0 }] };
    const confOf = (i: number) => ({
      cniVersion: "1.0.0",
      name: "pmscale",
      type: "portmap",
      backend,
      prevResult: { ...v4, ips: [{ address: `10.${1 + (i >> 8)}.${i & 255}.2/8`, interface: 0 }] },
      runtimeConfig: { portMappings: [tcp(10000 + i), udp(20000 + i)] },
    });
    // Shared chains first, so the baseline is what every DEL returns to.
    expect((await call(TS, "ADD", confOf(999), "warmup")).code).toBe(0);
    expect((await call(TS, "DEL", confOf(999), "warmup")).code).toBe(0);
    const baseline = await count();
    const ids = Array.from({ length: 100 }, (_, i) => i);
    const pool = async (fn: (i: number) => Promise<void>): Promise<void> => {
      let next = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (next < ids.length) await fn(next++);
      }));
    };
    await pool(async (i) => {
      const r = await call(TS, "ADD", confOf(i), `c${i}`);
      if (r.code !== 0) throw new Error(`ADD c${i}: ${r.stdout}`);
    });
    expect(await count()).toBeGreaterThan(baseline + 100 * 2);
    await pool(async (i) => {
      const r = await call(TS, "DEL", confOf(i), `c${i}`);
      if (r.code !== 0) throw new Error(`DEL c${i}: ${r.stdout}`);
    });
    expect(await count()).toBe(baseline);
  });
});
