/**
 * Storm memory (#22 item 2): N (default 50, TSCNI_STORM_N) pods ADDed at once, each into its own
 * throwaway netns, every plugin exec of a group in one memory cgroup (v2 `memory.peak` or v1
 * `memory.max_usage_in_bytes`, whichever the node has), and the cgroup's peak reported: what a
 * node pays while a deployment scales up, shared binary pages counted once. Groups: go-cni's
 * loopback network, bridge+host-local (no masq), the containerd chain plain and, for tscni, in
 * chain mode; per implementation (tscni, v1.1.1, v1.9.1) and for an empty compiled Bun program
 * started N times (the floor no Bun program goes below). Pods run through src/runtime.
 *
 * The peak is what one exec charges times how many are alive at once, and the second factor
 * grows with each exec's lifetime: so the loopback check also reports both factors apart, the
 * charge of one exec alone in its own cgroup and the peak in units of it (how many whole execs'
 * charges the peak holds). The harness cannot see how many are alive: it spawns all N in one
 * tick and learns of each exit only when its event loop runs again.
 * TSCNI_STORM_GROUPS=loopback,… runs only the groups whose op starts with one of the names
 * (A/B runs of one group; the floor is measured with the first group run).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { toChainMode } from "../../src/cli/chain-mode-convert.ts";
import { type NetworkList, parseConfList, type PluginExec, Runtime } from "../../src/runtime/index.ts";
import { SYSTEM_PATH } from "../harness.ts";
import type { ConfList } from "./chain.ts";
import { bridgeName, bridgePlugin, CNI_VERSION, containerdNet, containerId, goCniLoopback, hostLocal, subnet4 } from "./configs.ts";
import type { BenchEnv, Check, ImplFigures, InstanceCtx, Row, ScenarioOutcome } from "./model.ts";
import { killNetns, type Netns, newNetnsMany } from "./netns.ts";
import { IMPL_LABEL, type Impl, SLOT } from "./proc.ts";
import { stats } from "./stats.ts";
import { emptyBun } from "./empty-bun.ts";

const MiB = 1024 * 1024;
const ID = "storm-memory";
const TITLE = "storm memory";

interface Cgroup {
  procs: string;
  peak(): number;
  remove(): void;
}

/** A fresh memory cgroup on whichever hierarchy the node mounts. */
function newCgroup(name: string): Cgroup {
  const v2 = "/sys/fs/cgroup";
  const v1 = "/sys/fs/cgroup/memory";
  const root = existsSync(join(v2, "cgroup.controllers")) && readFileSync(join(v2, "cgroup.controllers"), "utf8").includes("memory") ? v2 : v1;
  const dir = join(root, name);
  mkdirSync(dir);
  const peakFile = join(dir, root === v2 ? "memory.peak" : "memory.max_usage_in_bytes");
  return { procs: join(dir, "cgroup.procs"), peak: () => Number(readFileSync(peakFile, "utf8").trim()), remove: () => rmdirSync(dir) };
}

/** Each exec joins the cgroup before it execs the plugin, so everything it maps is charged there. */
async function spawnIn(procs: string, path: string, env: Record<string, string>, stdin: string) {
  const proc = Bun.spawn(["/bin/sh", "-c", 'echo $$ > "$0" && exec "$1"', procs, path], { env, stdin: new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

const cgroupExec =
  (cg: Cgroup): PluginExec =>
  (req) =>
    spawnIn(cg.procs, req.path, req.env, req.stdin);

interface Group {
  op: string;
  /** The networks of one pod, in order; undefined = the group does not apply to this implementation. */
  lists(ctx: InstanceCtx, dataDir: string): { list: ConfList; ifname: string }[] | undefined;
  bridges(ctx: InstanceCtx): string[];
}

const GROUPS: Group[] = [
  { op: "loopback ADD", lists: () => [{ list: goCniLoopback, ifname: "lo" }], bridges: () => [] },
  {
    op: "bridge+host-local ADD",
    lists: (ctx, dataDir) => [{ list: { cniVersion: CNI_VERSION, name: "storm-br", plugins: [bridgePlugin(bridgeName("sb", ctx), "none", hostLocal([subnet4(ctx)], ["0.0.0.0/0"], dataDir))] }, ifname: "eth0" }],
    bridges: (ctx) => [bridgeName("sb", ctx)],
  },
  {
    op: "containerd chain ADD",
    lists: (ctx, dataDir) => [
      { list: goCniLoopback, ifname: "lo" },
      { list: containerdNet(ctx, dataDir, "sc"), ifname: "eth0" },
    ],
    bridges: (ctx) => [bridgeName("sc", ctx)],
  },
  {
    op: "containerd chain ADD, chain mode",
    lists: (ctx, dataDir) =>
      ctx.impl !== "tscni"
        ? undefined
        : [
            { list: goCniLoopback, ifname: "lo" },
            { list: toChainMode(containerdNet(ctx, dataDir, "sm") as never) as never as ConfList, ifname: "eth0" },
          ],
    bridges: (ctx) => [bridgeName("sm", ctx)],
  },
];

interface Batch {
  peakMiB: number;
  wallMs: number;
  ok: number;
  error?: string;
}

async function podBatch(env: BenchEnv, ctx: InstanceCtx, g: Group, n: number, name: string): Promise<Batch | undefined> {
  const dataDir = join(ctx.tmp, "ipam");
  mkdirSync(dataDir, { recursive: true });
  const lists = g.lists(ctx, dataDir);
  if (lists === undefined) return undefined;
  const cg = newCgroup(name);
  const runtime = new Runtime({ binDirs: [env.binDir[ctx.impl]], cacheDir: join(ctx.tmp, "cache"), env: { PATH: SYSTEM_PATH }, stderr: () => undefined, exec: cgroupExec(cg) });
  const nss = await newNetnsMany(n);
  const att = (ns: Netns, ifname: string, cid: string) => ({ containerId: cid, netns: ns.path, ifname, args: [], capabilityArgs: { portMappings: [] } });
  const pods = nss.map((ns) => ({ ns, cid: containerId(), added: false }));
  let error: string | undefined;
  try {
    const t0 = performance.now();
    await Promise.all(
      pods.map(async (p) => {
        try {
          for (const l of lists) await runtime.add(parse(l.list), att(p.ns, l.ifname, p.cid));
          p.added = true;
        } catch (e) {
          error ??= e instanceof Error ? e.message : String(e);
        }
      }),
    );
    const wallMs = performance.now() - t0;
    const peakMiB = cg.peak() / MiB;
    return { peakMiB, wallMs, ok: pods.filter((p) => p.added).length, error };
  } finally {
    for (const p of pods) for (const l of [...lists].reverse()) await runtime.del(parse(l.list), att(p.ns, l.ifname, p.cid)).catch(() => undefined);
    await Promise.all(nss.map(killNetns));
    for (const b of g.bridges(ctx)) Bun.spawnSync(["ip", "link", "del", b], { stderr: "ignore" });
    cg.remove();
  }
}

const parsedLists = new WeakMap<ConfList, NetworkList>();
function parse(list: ConfList): NetworkList {
  let l = parsedLists.get(list);
  if (l === undefined) {
    l = parseConfList(new TextEncoder().encode(JSON.stringify(list)));
    parsedLists.set(list, l);
  }
  return l;
}

async function floorBatch(binary: string, n: number, name: string): Promise<Batch> {
  const cg = newCgroup(name);
  try {
    const t0 = performance.now();
    const replies = await Promise.all(Array.from({ length: n }, () => spawnIn(cg.procs, binary, { PATH: SYSTEM_PATH }, "{}")));
    return { peakMiB: cg.peak() / MiB, wallMs: performance.now() - t0, ok: replies.filter((r) => r.code === 0).length };
  } finally {
    cg.remove();
  }
}

const figures = (b: Batch[]): ImplFigures => ({
  wallMs: stats(b.map((x) => x.wallMs)),
  cpuMs: stats([]),
  peakRssMiB: stats(b.map((x) => x.peakMiB)).median,
  execs: null,
  programs: null,
});

/** The row's label: the ms columns hold the batch's wall time, the peak-RSS column the cgroup peak. */
const opLabel = (what: string, n: number): string => `${what} ×${n} (ms: whole batch; peak RSS column: cgroup peak MiB)`;

/** Per implementation: successes and cgroup peaks, round by round. */
function batchNote(byImpl: Map<Impl, Batch[]>, n: number): string {
  return [...byImpl]
    .map(([impl, b]) => {
      const err = b.find((x) => x.error)?.error;
      return `${IMPL_LABEL[impl]} ${b.map((x) => `${x.ok}/${n} ok, ${x.peakMiB.toFixed(1)} MiB`).join("; ")}${err ? ` (${err})` : ""}`;
    })
    .join(" | ");
}

const ALONE_RUNS = 5;

/** One exec alone in its own cgroup, ALONE_RUNS times alternating with the floor: what each exec charges (cgroup v1 charges in 256 KiB steps). */
async function chargeAlone(env: BenchEnv, g: Group, empty: string): Promise<{ tscni: number; floor: number }> {
  const t: number[] = [];
  const f: number[] = [];
  for (let i = 0; i < ALONE_RUNS; i++) {
    const ctx: InstanceCtx = { impl: "tscni", slot: SLOT.tscni, index: 39, tmp: join(env.tmp, `${ID}-alone-${i}`) };
    const b = await podBatch(env, ctx, g, 1, `tscni-storm-${process.pid}-alone-${i}`);
    if (b !== undefined && b.ok === 1) t.push(b.peakMiB);
    f.push((await floorBatch(empty, 1, `tscni-storm-${process.pid}-alone-floor-${i}`)).peakMiB);
  }
  return { tscni: stats(t).median, floor: stats(f).median };
}

export async function stormMemory(env: BenchEnv, _index: number, impls: readonly Impl[]): Promise<ScenarioOutcome> {
  const n = Number(process.env.TSCNI_STORM_N ?? "50");
  const only = (process.env.TSCNI_STORM_GROUPS ?? "").split(",").filter((x) => x !== "");
  const groups = GROUPS.filter((g) => only.length === 0 || only.some((o) => g.op.startsWith(o)));
  const rounds = env.quick ? 1 : 3;
  const rows: Row[] = [];
  const peaks = new Map<string, Batch[]>();
  const floor: Batch[] = [];
  const empty = emptyBun(env.tmp);
  for (const [gi, g] of groups.entries()) {
    const byImpl = new Map<Impl, Batch[]>();
    for (let round = 0; round < rounds; round++) {
      for (const impl of round % 2 === 0 ? impls : [...impls].reverse()) {
        const ctx: InstanceCtx = { impl, slot: SLOT[impl], index: 40 + gi, tmp: join(env.tmp, `${ID}-${gi}-${impl}-${round}`) };
        const b = await podBatch(env, ctx, g, n, `tscni-storm-${process.pid}-${gi}-${impl}-${round}`);
        if (b !== undefined) byImpl.set(impl, [...(byImpl.get(impl) ?? []), b]);
      }
      if (gi === 0) floor.push(await floorBatch(empty, n, `tscni-storm-${process.pid}-floor-${round}`));
    }
    const fig = (impl: Impl) => (byImpl.has(impl) ? figures(byImpl.get(impl) ?? []) : undefined);
    for (const [impl, b] of byImpl) peaks.set(`${g.op} ${impl}`, b);
    rows.push({ scenario: ID, title: TITLE, op: opLabel(g.op, n), status: byImpl.has("tscni") ? "ok" : "n/a", tscni: fig("tscni"), reference: fig("reference"), v191: fig("v191"), note: batchNote(byImpl, n) });
  }
  const floorMiB = stats(floor.map((x) => x.peakMiB)).median;
  rows.push({ scenario: ID, title: TITLE, op: opLabel("empty compiled Bun (floor)", n), status: "ok", tscni: figures(floor), note: `${floor.map((x) => `${x.ok}/${n} exited 0, ${x.peakMiB.toFixed(1)} MiB`).join("; ")}` });
  const loBatches = peaks.get("loopback ADD tscni");
  const loGroup = groups.find((g) => g.op === "loopback ADD");
  const checks: Check[] = [];
  if (loBatches !== undefined && loGroup !== undefined) {
    const lo = stats(loBatches.map((x) => x.peakMiB)).median;
    const alone = await chargeAlone(env, loGroup, empty);
    checks.push({
      scenario: ID,
      label: `${ID}: loopback ×${n} cgroup peak ≤ 1.5× the empty-Bun floor`,
      value:
        `${lo.toFixed(1)} MiB = ${(lo / floorMiB).toFixed(2)}× floor ${floorMiB.toFixed(1)} MiB; ` +
        `= one exec alone ${alone.tscni.toFixed(2)} vs ${alone.floor.toFixed(2)} MiB (${(alone.tscni / alone.floor).toFixed(2)}×, median of ${ALONE_RUNS}) ` +
        `× the peak in such execs, ${(lo / alone.tscni).toFixed(1)} vs ${(floorMiB / alone.floor).toFixed(1)} (${(lo / alone.tscni / (floorMiB / alone.floor)).toFixed(2)}×: longer-lived execs overlap more)`,
      limit: "1.5×",
      met: lo <= 1.5 * floorMiB,
    });
  } else {
    checks.push({ scenario: ID, label: `${ID}: loopback ×${n} cgroup peak ≤ 1.5× the empty-Bun floor`, value: "n/a (loopback group not run)", limit: "1.5×", met: null });
  }
  return { rows, checks };
}
