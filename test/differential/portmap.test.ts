/**
 * portmap against Debian's reference (v1.1.1, iptables only): the same ADD gives the same
 * `iptables-save -t nat` / `ip6tables-save -t nat` (counters and timestamps removed), for a matrix
 * of mappings and options. Swaps: ADD by one implementation, DEL by the other, leaves no
 * per-container chain or rule. Bad inputs change nothing. 250 containers come and go.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustExec, reference, requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const ENV = { TSCNI_FIREWALL_LOCK: join(mkdtempSync(join(tmpdir(), "tscni-pm-diff-")), "fw.lock") };
let ns: TempNetns;

/** Normalisation: comment lines (timestamps) dropped, packet/byte counters zeroed. Nothing else. */
async function natState(): Promise<string> {
  const out: string[] = [];
  for (const tool of ["iptables-save", "ip6tables-save"]) {
    const text = await mustExec([tool, "-t", "nat"]);
    out.push(...text.split("\n").filter((l) => !l.startsWith("#")).map((l) => l.replace(/\[\d+:\d+\]/, "[0:0]")));
  }
  return out.join("\n");
}

async function nftState(): Promise<string> {
  return mustExec(["nft", "list", "ruleset"]);
}

/** Empties table nat in both families; the chain externalSetMarkChain points at is recreated. */
async function reset(): Promise<void> {
  for (const tool of ["iptables", "ip6tables"]) {
    await mustExec([tool, "-t", "nat", "-F"]);
    await mustExec([tool, "-t", "nat", "-X"]);
    await mustExec([tool, "-t", "nat", "-N", "KUBE-MARK-MASQ"]);
  }
}

const prevResult = (): Record<string, unknown> => ({
  cniVersion: "1.0.0",
  interfaces: [{ name: "eth0", sandbox: ns.path }],
  ips: [
    { address: "10.0.0.2/24", interface: 0 },
    { address: "2001:db8:1::2/64", interface: 0 },
  ],
});

function conf(extra: Record<string, unknown>, mappings: unknown[], name = "pmdiff"): Record<string, unknown> {
  return { cniVersion: "1.0.0", name, type: "portmap", prevResult: prevResult(), runtimeConfig: { portMappings: mappings }, ...extra };
}

const call = (binary: string, command: string, stdin: object, containerId = "ctr1") =>
  runCni(binary, { command, containerId, netns: ns.path, ifname: "eth0", path: "/usr/lib/cni", stdin, env: ENV });

const tcp = (hostPort: number, containerPort = 80, hostIP?: string) => ({ hostPort, containerPort, protocol: "tcp", ...(hostIP && { hostIP }) });
const udp = (hostPort: number, containerPort = 53, hostIP?: string) => ({ hostPort, containerPort, protocol: "udp", ...(hostIP && { hostIP }) });
const LONG_ID = "icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9ceu0daez5hashee8ooYai5wa3y";

const MATRIX: [string, Record<string, unknown>, unknown[], string?][] = [
  ["tcp+udp, default options", {}, [tcp(8080), udp(8053)]],
  ["hostIP same family, 0.0.0.0, ::, other family", {}, [tcp(8080, 80, "127.0.0.1"), tcp(8081, 81, "0.0.0.0"), udp(8082, 82, "::"), tcp(8083, 83, "2001:db8::5")]],
  ["snat false", { snat: false }, [tcp(8080), udp(8053)]],
  // masqAll is not compared: Debian's v1.1.1 predates it (v1.9 rendering: test/unit/firewall).
  ["markMasqBit 0", { markMasqBit: 0 }, [tcp(8080)]],
  ["externalSetMarkChain", { externalSetMarkChain: "KUBE-MARK-MASQ" }, [tcp(8080), udp(8053)]],
  ["iptables conditions", { conditionsV4: ["-s", "10.1.0.0/16"], conditionsV6: ["!", "-s", "fd00::/8"] }, [tcp(8080)]],
  ["17 tcp ports (two entry rules), sorted protocols", {}, [...Array.from({ length: 17 }, (_, i) => tcp(9000 + i)), udp(8053), { hostPort: 7000, containerPort: 70, protocol: "sctp" }]],
  ["duplicate host ports kept", {}, [tcp(8080), tcp(8080, 81)]],
  ["256-byte comment (long container ID)", {}, [tcp(8080)], LONG_ID],
];

beforeAll(async () => {
  ns = await tempNetns();
  await mustExec(["ip", "link", "set", "lo", "up"]);
});

afterAll(async () => {
  await ns[Symbol.asyncDispose]();
});

describe("iptables-save after ADD is identical to the reference's", () => {
  test.each(MATRIX)("%s", async (_name, extra, mappings, id = "ctr1") => {
    const c = conf(extra, mappings);
    await reset();
    const ref = await call(reference("portmap"), "ADD", c, id);
    expect(ref.code).toBe(0);
    const refState = await natState();
    await reset();
    const mine = await call(tscni("portmap"), "ADD", c, id);
    expect(mine.stderr).toBe("");
    expect(mine.code).toBe(0);
    expect(await natState()).toBe(refState);
    // And tscni's DEL cleans up what the reference's DEL would.
    expect((await call(tscni("portmap"), "DEL", c, id)).code).toBe(0);
    expect(await natState()).not.toContain("CNI-DN-");
  });
});

describe("swap: ADD by one implementation, DEL by the other", () => {
  const c = (): Record<string, unknown> => conf({}, [tcp(8080), udp(8053), tcp(8443, 443, "2001:db8::5")]);
  test.each([
    ["reference ADD, tscni DEL", reference("portmap"), tscni("portmap")],
    ["tscni ADD, reference DEL", tscni("portmap"), reference("portmap")],
  ])("%s", async (_name, adder, deleter) => {
    await reset();
    const baseline = await natState();
    expect((await call(adder, "ADD", c())).code).toBe(0);
    expect(await natState()).toContain("CNI-DN-");
    const del = await call(deleter, "DEL", c());
    expect(del.code).toBe(0);
    const after = await natState();
    expect(after).not.toContain("CNI-DN-");
    expect(after).not.toContain("dnat name:");
    // Only the shared chains (never deleted, by either) remain beyond the baseline.
    const extra = after.split("\n").filter((l) => !baseline.includes(l));
    expect(extra.every((l) => l.includes("CNI-HOSTPORT-"))).toBe(true);
  });
});

describe("bad inputs: error JSON, exit 1, no firewall change", () => {
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
    const before = (await natState()) + (await nftState());
    const r = await call(tscni("portmap"), "ADD", conf(extra, mappings));
    expect(r.code).toBe(1);
    expect((r.json as { code: number }).code).toBe(999);
    expect((await natState()) + (await nftState())).toBe(before);
  });
});

describe("250 containers with 2 mappings each", () => {
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
    expect((await call(tscni("portmap"), "ADD", confOf(999), "warmup")).code).toBe(0);
    expect((await call(tscni("portmap"), "DEL", confOf(999), "warmup")).code).toBe(0);
    const baseline = await count();
    const ids = Array.from({ length: 250 }, (_, i) => i);
    const pool = async (fn: (i: number) => Promise<void>): Promise<void> => {
      let next = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (next < ids.length) await fn(next++);
      }));
    };
    await pool(async (i) => {
      const r = await call(tscni("portmap"), "ADD", confOf(i), `c${i}`);
      if (r.code !== 0) throw new Error(`ADD c${i}: ${r.stdout}`);
    });
    expect(await count()).toBeGreaterThan(baseline + 250 * 2);
    await pool(async (i) => {
      const r = await call(tscni("portmap"), "DEL", confOf(i), `c${i}`);
      if (r.code !== 0) throw new Error(`DEL c${i}: ${r.stdout}`);
    });
    expect(await count()).toBe(baseline);
  });
});
