/**
 * portmap's stale-UDP-conntrack cleanup (so datagrams stop going to a removed container) against the real kernel, in the
 * runner's throwaway host netns: entries are planted with `conntrack -I`, tscni portmap ADD/DEL
 * runs with a UDP mapping on the host port, and `conntrack -L` shows that exactly the UDP
 * entries to that port are gone (both families, any zone) while TCP and other ports stay.
 * Also drives the Conntrack handle directly: both ways of deleting, and inside another netns.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AF_INET, AF_INET6, Conntrack } from "../../src/netlink/index.ts";
import { NetNs } from "../../src/sys/index.ts";
import { plantCommand } from "../fixtures/conntrack-plant.ts";
import { exec, mustExec, requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const work = mkdtempSync(join(tmpdir(), "tscni-pm-ct-"));
const ENV = { TSCNI_FIREWALL_LOCK: join(work, "fw.lock") };
const PORT = 8053;
const OTHER = 9053;
let ctr: TempNetns;

async function sh(cmd: string): Promise<void> {
  await mustExec(["sh", "-c", cmd]);
}

/** Resets the table to the entries every test starts from; `run` decides which netns. */
function plant(run: (cmd: string) => Promise<void>): Promise<void> {
  return run(plantCommand(PORT, OTHER));
}

interface Entry {
  proto: string;
  v6: boolean;
  sport: number;
  dport: number;
}

/** `conntrack -L` (every zone), reduced to protocol, family and original-direction ports. */
async function table(netns?: TempNetns): Promise<Entry[]> {
  const r = netns ? await netns.run(["conntrack", "-L"]) : await exec(["conntrack", "-L"]);
  expect(r.code).toBe(0);
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => ({
      proto: l.split(/\s+/)[0] ?? "",
      v6: /src=[0-9a-f:]*:/.test(l),
      sport: Number(/sport=(\d+)/.exec(l)?.[1]),
      dport: Number(/dport=(\d+)/.exec(l)?.[1]),
    }));
}

const key = (e: Entry): string => `${e.proto}${e.v6 ? "6" : "4"} ${e.sport}->${e.dport}`;
const keys = (es: Entry[]): string[] => es.map(key).sort();

/** What must survive: TCP to the port, UDP to another port, UDP *from* the port. */
const SURVIVORS = [`tcp4 1114->${PORT}`, `udp4 1112->${OTHER}`, `udp4 ${PORT}->1115`, `udp6 1112->${OTHER}`].sort();

beforeAll(async () => {
  await sh("ip link set lo up");
  ctr = await tempNetns();
  await sh(`ip link add pmct0 type veth peer name pmct0p && ip link set pmct0p netns ${ctr.pid}`);
  await sh("ip addr add 10.98.0.1/24 dev pmct0 && ip addr add fd98::1/64 dev pmct0 nodad && ip link set pmct0 up");
  for (const cmd of [
    ["ip", "link", "set", "lo", "up"],
    ["ip", "addr", "add", "10.98.0.2/24", "dev", "pmct0p"],
    ["ip", "addr", "add", "fd98::2/64", "dev", "pmct0p", "nodad"],
    ["ip", "link", "set", "pmct0p", "up"],
  ]) {
    expect((await ctr.run(cmd)).code).toBe(0);
  }
});

afterAll(async () => {
  await ctr[Symbol.asyncDispose]();
});

describe("tscni portmap clears stale UDP conntrack entries for its host ports", () => {
  const prevResult = {
    cniVersion: "1.0.0",
    interfaces: [{ name: "eth0", sandbox: "" }],
    ips: [
      { address: "10.98.0.2/24", interface: 0 },
      { address: "fd98::2/64", interface: 0 },
    ],
  };
  const conf = (): Record<string, unknown> => ({
    cniVersion: "1.0.0",
    name: "pm-ct",
    type: "portmap",
    backend: "iptables",
    runtimeConfig: {
      portMappings: [
        { hostPort: PORT, containerPort: 53, protocol: "udp" },
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      ],
    },
    prevResult: { ...prevResult, interfaces: [{ name: "eth0", sandbox: ctr.path }] },
  });
  const call = { containerId: "ctr-ct", ifname: "eth0", path: "/usr/lib/cni", env: ENV };

  test("ADD: UDP to the port is gone in both families and every zone; the rest is untouched", async () => {
    await plant(sh);
    expect(keys(await table())).toHaveLength(SURVIVORS.length + 3);
    const r = await runCni(tscni("portmap"), { ...call, command: "ADD", netns: ctr.path, stdin: conf() });
    expect(r.stderr).toBe(""); // a failed cleanup is only logged: an empty stderr proves it ran clean
    expect(r.code).toBe(0);
    expect(keys(await table())).toEqual(SURVIVORS);
  });

  test("ADD found the host-side interface with route get and set route_localnet on it", async () => {
    expect((await mustExec(["sysctl", "-n", "net.ipv4.conf.pmct0.route_localnet"])).trim()).toBe("1");
  });

  test("DEL: same cleanup", async () => {
    await plant(sh);
    const r = await runCni(tscni("portmap"), { ...call, command: "DEL", netns: ctr.path, stdin: conf() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(keys(await table())).toEqual(SURVIVORS);
  });
});

/** Which path the default takes here: kernels since the filtered flush vs older ones. */
const FILTERED = kernelAtLeast(6, 18) ? "kernel-filter" : expect.stringMatching(/^(kernel-filter|dump)$/);

function kernelAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = (/^(\d+)\.(\d+)/.exec(release())?.slice(1) ?? []).map(Number);
  return a > major || (a === major && b >= minor);
}

function release(): string {
  return Bun.spawnSync(["uname", "-r"]).stdout.toString().trim();
}

describe("Conntrack handle against the kernel", () => {
  test("inside another netns: kernel-filtered delete (v6) and the dump fallback (v4)", async () => {
    await plant(async (cmd) => {
      expect((await ctr.run(["sh", "-c", cmd])).code).toBe(0);
    });
    await plant(sh); // the host's own table must not be touched by a handle on the container
    using ns = NetNs.open(ctr.path);
    using ct = Conntrack.open(ns);
    expect(ct.list(AF_INET).filter((e) => e.dport === PORT && e.proto === 17).map((e) => e.zone ?? 0).sort()).toEqual([0, 7]);
    // This kernel (6.18) filters the delete itself; one without that support takes the dump path.
    expect(ct.deleteUdpByDstPort(AF_INET6, [PORT])).toBe(FILTERED);
    expect(ct.deleteUdpByDstPort(AF_INET, [PORT], { kernelFilter: false })).toBe("dump");
    expect(keys(await table(ctr))).toEqual(SURVIVORS);
    expect(keys(await table())).toHaveLength(SURVIVORS.length + 3);
  });

  test("kernel filter with several ports, and nothing to delete", async () => {
    await plant(sh);
    using ct = Conntrack.open();
    expect(ct.deleteUdpByDstPort(AF_INET, [PORT, OTHER, 1])).toBe(FILTERED);
    expect(ct.deleteUdpByDstPort(AF_INET, [PORT])).toBe(FILTERED);
    expect(keys(await table())).toEqual([`tcp4 1114->${PORT}`, `udp4 ${PORT}->1115`, `udp6 1111->${PORT}`, `udp6 1112->${OTHER}`].sort());
  });
});
