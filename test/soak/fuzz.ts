/**
 * The seeded fuzz corpus: variations of the bridge config (every key given a value of each JSON
 * type, hostile strings, keys dropped) and of the CNI environment (ifname, container ID,
 * CNI_ARGS), each sent to the bridge plugin as one ADD (then DEL when it succeeded). A failed
 * ADD must print one CNI error document and change nothing; a successful one must leave nothing
 * after its DEL. Same seed, same corpus.
 */
import { runCni, tempNetns } from "../harness.ts";
import { added, snapshot } from "./invariants.ts";
import { note, type Tally, tally } from "./tally.ts";
import { type Impl, implDirs, type Net } from "./world.ts";

/** mulberry32: a small, fast, seedable PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 65536, 1e300, "", "x", "../../etc", "a\nb", "é\u0000", "a\"b'c", "$(id)",
  [], [1], [{}], {}, { a: 1 }, "10.0.0.0/8", "fd00::/8", "999.1.1.1/33", "0.0.0.0/0", "aa:bb:cc:dd:ee:ff", " ",
];
const IFNAMES = ["eth0", "e{#x", "a b", "eth0\n", "x".repeat(16), "..", "e;id", "net1", "eth-ü"];
const IDS = ["ctr", "c;rm", "c".repeat(300), "c\u0001", "-x", "ok-id"];
const ARGS = ["", "IgnoreUnknown=1", "IP=10.9.9.9", "K8S_POD_NAME=a;IgnoreUnknown=true", "=;==", "IP=not-an-ip"];
const KEYS = ["bridge", "isGateway", "isDefaultGateway", "ipMasq", "mtu", "hairpinMode", "promiscMode", "vlan", "mac", "forceAddress",
  "macspoofchk", "enabledad", "disableContainerInterface", "portIsolation", "ipam.type", "ipam.ranges", "ipam.routes", "ipam.subnet",
  "ipam.rangeStart", "ipam.gateway", "dns", "args", "runtimeConfig", "cniVersion", "name"];

export interface Case {
  conf: Record<string, unknown>;
  ifname: string;
  containerId: string;
  args: string;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown, drop: boolean): void {
  const [head, tail] = path.split(".") as [string, string | undefined];
  if (tail === undefined) {
    if (drop) delete obj[head];
    else obj[head] = value;
    return;
  }
  const inner = obj[head];
  if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) setPath(inner as Record<string, unknown>, tail, value, drop);
}

/** `count` cases from `seed`; the bridge name and dataDir are never fuzzed off the scratch area. */
export function corpus(net: Net, seed: number, count: number): Case[] {
  const r = rng(seed);
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const conf = structuredClone(net.bridgeConf);
    const mutations = 1 + Math.floor(r() * 3);
    for (let m = 0; m < mutations; m++) setPath(conf, pick(r, KEYS), pick(r, VALUES), r() < 0.15);
    const env = r() < 0.5;
    out.push({
      conf,
      ifname: env ? pick(r, IFNAMES) : "eth0",
      containerId: env ? pick(r, IDS) : `fuzz-${i}`,
      args: env ? pick(r, ARGS) : "",
    });
  }
  return out;
}

export async function fuzz(impl: Impl, net: Net, seed: number, count: number, deadline: number): Promise<Tally> {
  const t = tally();
  const dirs = implDirs(impl);
  for (const c of corpus(net, seed, count)) {
    if (Date.now() > deadline) break;
    await using ns = await tempNetns();
    const before = await snapshot(dirs);
    const call = (command: string) =>
      runCni(`${impl.binDir}/bridge`, {
        command,
        containerId: c.containerId,
        netns: ns.path,
        ifname: c.ifname,
        args: c.args,
        path: impl.binDir,
        stdin: c.conf,
      });
    t.calls++;
    const add = await call("ADD");
    const shown = JSON.stringify({ ...c, conf: undefined, changed: c.conf }).slice(0, 200);
    if (add.code !== 0) {
      t.failed++;
      if (typeof (add.json as { code?: unknown } | undefined)?.code !== "number") {
        t.crashes++;
        note(t, `no CNI error document for ${shown}: ${add.stdout.slice(0, 100)}${add.stderr.slice(0, 100)}`);
      }
      const changed = added(before, await snapshot(dirs));
      if (changed.length > 0) {
        t.stateChangingFailures++;
        note(t, `failed ADD changed ${changed.slice(0, 2).join(" | ")} for ${shown}`);
      }
    } else {
      t.calls++;
      const del = await call("DEL");
      if (del.code !== 0) {
        t.failed++;
        note(t, `DEL failed: ${del.stdout.slice(0, 150)} for ${shown}`);
      }
    }
    const left = add.code === 0 ? added(before, await snapshot(dirs)) : [];
    if (left.length > 0) {
      t.leaks += left.length;
      note(t, `ADD+DEL left ${left.slice(0, 2).join(" | ")} for ${shown}`);
    }
  }
  return t;
}
