/**
 * bridge end to end, tscni only, in the runner's isolated host netns:
 *  - connectivity: two containers on one bridge reach each other and the gateway (UDP echo,
 *    v4 and v6; `ping` is not installed on CI, and the echo also reports the peer address);
 *  - ipMasq: traffic to a netns "behind the host" (a veth from the host; it only knows its own
 *    /24, so it can answer the host's address and nothing else) arrives from the host's address;
 *    without ipMasq it arrives from the container's and the reply cannot come back;
 *  - exec count: a containerd-style ADD execs tscni once (IPAM in-process), plus one firewall
 *    batch per address family when ipMasq: its iptables-save read and iptables-restore write
 *    (strace -f -e trace=execve, successful execs counted).
 * The containers are set up once for the file (beforeAll) and removed by DEL at the end.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { exec, mustExec, requireIsolatedHost, tempDir, tempNetns, type TempNetns } from "../harness.ts";
import { type Conf, RUNTIME_CONFIGS } from "../fixtures/bridge/runtime-configs.ts";
import { bridgeCall } from "../fixtures/bridge/support.ts";
import { udpRoundTrip } from "../fixtures/traffic.ts";

requireIsolatedHost();

const TIMEOUT = 60_000;

// containerd's config (dual-stack, ipMasq), own dataDir under the private /run.
const DATA = "/run/tscni-bridge-e2e";
const MASQ: Conf = {
  ...(RUNTIME_CONFIGS.containerd as Conf),
  cniVersion: "1.0.0",
  ipam: { type: "host-local", dataDir: DATA, ranges: [[{ subnet: "10.88.0.0/16" }], [{ subnet: "fd88::/64" }]], routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }] },
};
const NOMASQ: Conf = {
  cniVersion: "1.0.0",
  name: "nomasq",
  type: "bridge",
  bridge: "br-nomasq",
  isGateway: true,
  ipMasq: false,
  ipam: { type: "host-local", dataDir: DATA, ranges: [[{ subnet: "10.89.0.0/24" }]], routes: [{ dst: "0.0.0.0/0" }] },
};

let a: TempNetns;
let b: TempNetns;
let c: TempNetns;
let outside: TempNetns;
const ips: Record<string, { v4: string; v6?: string }> = {};

async function add(ns: TempNetns, id: string, conf: Conf): Promise<{ v4: string; v6?: string }> {
  const r = await bridgeCall(conf, { command: "ADD", containerId: id, netns: ns.path });
  if (r.code !== 0) throw new Error(`ADD ${id}: ${r.stdout}${r.stderr}`);
  const list = (r.json as { ips: { address: string }[] }).ips.map((i) => i.address.split("/")[0] ?? "");
  return { v4: list.find((x) => !x.includes(":")) ?? "", v6: list.find((x) => x.includes(":")) };
}

let port = 40000;
/** One round trip: server in `to` (or the host), client in `from`; [reply, peers seen]. */
async function roundTrip(from: TempNetns, to: TempNetns | null, addr: string, timeoutMs?: number): Promise<[string | null, string[]]> {
  return udpRoundTrip(from, to ?? undefined, addr, port++, timeoutMs);
}

beforeAll(async () => {
  a = await tempNetns();
  b = await tempNetns();
  c = await tempNetns();
  outside = await tempNetns();
  // The network behind the host: a veth into `outside`, no default route there.
  await mustExec(["ip", "link", "add", "to-out", "type", "veth", "peer", "name", "eth0", "netns", String(outside.pid)]);
  await mustExec(["ip", "addr", "add", "192.0.2.1/24", "dev", "to-out"]);
  await mustExec(["ip", "addr", "add", "2001:db8:ff::1/64", "dev", "to-out", "nodad"]);
  await mustExec(["ip", "link", "set", "to-out", "up"]);
  for (const argv of [
    ["ip", "addr", "add", "192.0.2.2/24", "dev", "eth0"],
    ["ip", "addr", "add", "2001:db8:ff::2/64", "dev", "eth0", "nodad"],
    ["ip", "link", "set", "eth0", "up"],
    ["ip", "link", "set", "lo", "up"],
  ]) {
    const r = await outside.run(argv);
    if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  }
  ips.a = await add(a, "ctr-a", MASQ);
  ips.b = await add(b, "ctr-b", MASQ);
  ips.c = await add(c, "ctr-c", NOMASQ);
  // The bridge's IPv6 gateway address is usable once DAD is over (about a second).
  for (let i = 0; i < 100; i++) {
    if ((await exec(["ip", "-6", "addr", "show", "dev", "cni0", "tentative"])).stdout.trim() === "") break;
    await Bun.sleep(50);
  }
}, TIMEOUT);

afterAll(async () => {
  for (const [ns, id, conf] of [[a, "ctr-a", MASQ], [b, "ctr-b", MASQ], [c, "ctr-c", NOMASQ]] as const) {
    await bridgeCall(conf, { command: "DEL", containerId: id, netns: ns.path });
  }
  for (const ns of [a, b, c, outside]) await ns[Symbol.asyncDispose]();
});

describe("connectivity on one bridge", () => {
  test("containers reach each other, unNATed (v4 and v6)", async () => {
    const av4 = ips.a?.v4 ?? "";
    const bv4 = ips.b?.v4 ?? "";
    expect(await roundTrip(a, b, bv4)).toEqual([av4, [av4]]);
    expect(await roundTrip(b, a, av4)).toEqual([bv4, [bv4]]);
    const av6 = ips.a?.v6 ?? "";
    const bv6 = ips.b?.v6 ?? "";
    expect(await roundTrip(a, b, bv6)).toEqual([av6, [av6]]);
  }, TIMEOUT);

  test("ICMP: containers ping each other and the gateway (iputils-ping, installed by .ci/run)", async () => {
    if ((await exec(["ping", "-V"])).code !== 0) throw new Error("ping is not installed (.ci/run installs iputils-ping)");
    for (const [from, target] of [[a, ips.b?.v4 ?? ""], [b, ips.a?.v4 ?? ""], [a, "10.88.0.1"], [b, ips.a?.v6 ?? ""]] as const) {
      const r = await from.run(["ping", "-c", "1", "-W", "2", target]);
      expect({ target, code: r.code, out: r.stdout.includes("1 received") }).toEqual({ target, code: 0, out: true });
    }
  }, TIMEOUT);

  test("containers reach the gateway (the host's bridge address)", async () => {
    const av4 = ips.a?.v4 ?? "";
    expect(await roundTrip(a, null, "10.88.0.1")).toEqual([av4, [av4]]);
    const bv6 = ips.b?.v6 ?? "";
    expect(await roundTrip(b, null, "fd88::1")).toEqual([bv6, [bv6]]);
  }, TIMEOUT);
});

describe("ipMasq: a netns behind the host sees the host's address", () => {
  test("IPv4 and IPv6 with ipMasq", async () => {
    expect(await roundTrip(a, outside, "192.0.2.2")).toEqual(["192.0.2.1", ["192.0.2.1"]]);
    expect(await roundTrip(b, outside, "2001:db8:ff::2")).toEqual(["2001:db8:ff::1", ["2001:db8:ff::1"]]);
  }, TIMEOUT);

  test("without ipMasq: arrives from the container's address, no way back", async () => {
    const cv4 = ips.c?.v4 ?? "";
    expect(await roundTrip(c, outside, "192.0.2.2", 1200)).toEqual([null, [cv4]]);
  }, TIMEOUT);
});

interface Execs {
  programs: string[];
}

/** The successful execve calls of one ADD, traced with strace -f. */
async function tracedAdd(conf: Conf, id: string): Promise<Execs> {
  using dir = tempDir("tscni-strace-");
  await using ns = await tempNetns();
  const log = join(dir.path, "trace");
  const r = await bridgeCall(conf, { command: "ADD", containerId: id, netns: ns.path, prefix: ["strace", "-f", "-e", "trace=execve", "-qq", "-o", log] });
  if (r.code !== 0) throw new Error(`traced ADD: ${r.stdout}${r.stderr}`);
  const lines = readFileSync(log, "utf8").split("\n").filter((l) => l.includes("execve(") && /= 0$/.test(l));
  // Program and argv[0] (xtables-nft-multi serves iptables-save and iptables-restore alike).
  const programs = lines.map((l) => {
    const m = /execve\("([^"]+)", \[((?:"[^"]*"(?:, )?){1,3})/.exec(l);
    return m ? `${m[1]} [${(m[2] ?? "").replaceAll('"', "").replace(/, $/, "")}]` : "?";
  });
  await bridgeCall(conf, { command: "DEL", containerId: id, netns: ns.path });
  return { programs };
}

describe("exec count of a full ADD", () => {
  // On this iptables-nft node the iptables layout is written in-process: one nf_tables batch for
  // both families, planned from an in-process dump, so neither iptables-restore nor iptables-save runs.
  test("containerd-style (dual-stack, ipMasq): tscni once, no firewall tool", async () => {
    if ((await exec(["strace", "-V"])).code !== 0) throw new Error("strace is not installed (.ci/run installs it)");
    const { programs } = await tracedAdd(MASQ, "ctr-trace");
    expect(programs[0]).toMatch(/\/bridge \[/);
    const extra = programs.slice(1);
    // argv[0] or, behind xtables-*-multi, argv[1] names the tool.
    for (const p of extra) expect(p).toMatch(/[[ ](ip6?tables(-nft|-legacy)?-(save|restore))\b|\/nft\b/);
    const count = (re: RegExp): number => extra.filter((p) => re.test(p)).length;
    expect({
      programs,
      ipam: programs.filter((p) => /host-local/.test(p)).length,
      v4writes: count(/[[ ]iptables(-nft|-legacy)?-restore/),
      v6writes: count(/[[ ]ip6tables(-nft|-legacy)?-restore/),
      v4reads: count(/[[ ]iptables(-nft|-legacy)?-save/),
      v6reads: count(/[[ ]ip6tables(-nft|-legacy)?-save/),
    }).toEqual({ programs, ipam: 0, v4writes: 0, v6writes: 0, v4reads: 0, v6reads: 0 });
  }, TIMEOUT);

  test("without ipMasq: tscni once, nothing else", async () => {
    const { programs } = await tracedAdd(NOMASQ, "ctr-trace2");
    expect(programs).toHaveLength(1);
  }, TIMEOUT);
});
