/**
 * The two load scenarios: density (ADD latency of the first pods on a bridge against the last of
 * N) and concurrency (50 pods ADDed at once, then DELed at once: batch wall time and successes),
 * each for tscni, v1.1.1 and v1.9.1 (whichever the runner passes), alternating in concurrency.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chainAdd, chainDel, type Attachment, type ConfList } from "./chain.ts";
import { containerdNet, containerId, goCniLoopback, k8sArgs, podNet } from "./configs.ts";
import type { BenchEnv, Check, ImplFigures, InstanceCtx, Row, ScenarioOutcome } from "./model.ts";
import { killNetns, newNetnsMany, type Netns } from "./netns.ts";
import { IMPL_LABEL, Runner, SLOT, type Impl, type ProfiledExec } from "./proc.ts";
import { summarizePhases } from "./phases.ts";
import { median, stats } from "./stats.ts";

const MiB = 1024 * 1024;

interface Pod {
  nets: { list: ConfList; att: Attachment }[];
  added: boolean;
}

function podOf(lists: { list: ConfList; ifname: string }[], ns: Netns, name: string, capabilityArgs?: Attachment["capabilityArgs"]): Pod {
  const cid = containerId();
  return {
    nets: lists.map(({ list, ifname }) => ({ list, att: { containerId: cid, netns: ns.path, ifname, args: k8sArgs(cid, name), capabilityArgs } })),
    added: false,
  };
}

async function podAdd(r: Runner, pod: Pod): Promise<void> {
  pod.added = true;
  for (const n of pod.nets) await chainAdd(r, n.list, n.att);
}

async function podDel(r: Runner, pod: Pod): Promise<void> {
  for (const n of pod.nets) await chainDel(r, n.list, n.att);
  pod.added = false;
}

function ctxFor(env: BenchEnv, index: number, impl: Impl, name: string): InstanceCtx {
  const tmp = join(env.tmp, `${name}-${impl}`);
  mkdirSync(join(tmp, "ipam"), { recursive: true });
  return { impl, slot: SLOT[impl], index, tmp };
}

function figures(wall: number[], cpu: number[], rss: number | null): ImplFigures {
  return { wallMs: stats(wall), cpuMs: stats(cpu), peakRssMiB: rss === null ? null : rss / MiB, execs: null, programs: null };
}

function row(scenario: string, title: string, op: string, byImpl: Partial<Record<Impl, ImplFigures>>, note?: string): Row {
  const t = byImpl.tscni;
  const ref = byImpl.reference;
  const v191 = byImpl.v191;
  const r: Row = { scenario, title, op, status: "ok", tscni: t, reference: ref, v191, note };
  if (t && ref) r.ratio = t.wallMs.median / ref.wallMs.median;
  if (t && v191) r.ratio191 = t.wallMs.median / v191.wallMs.median;
  if (!t) r.status = "n/a";
  return r;
}

/**
 * One implementation at a time (its whole pass, then the other's), so each sees only its own
 * pods' rules in the nat table: pod #N is measured against N pods, not 2N.
 */
export async function density(env: BenchEnv, index: number, impls: readonly Impl[]): Promise<ScenarioOutcome> {
  const n = Math.max(2, env.densityPods);
  const k = Math.max(1, Math.min(10, Math.floor(n / 4)));
  const passes: DensityPass[] = [];
  for (const impl of impls) passes.push(await densityPass(env, index, impl, n, k));
  const pick = (f: (p: DensityPass) => ImplFigures): Partial<Record<Impl, ImplFigures>> => Object.fromEntries(passes.map((p) => [p.impl, f(p)]));
  const first = (a: number[]) => a.slice(0, k);
  const last = (a: number[]) => a.slice(-k);
  const title = `density, ${n} pods (${k}/end)`;
  const rows = [
    row("density", title, "ADD pod #1", pick((p) => figures(first(p.addMs), first(p.addCpu), p.rss))),
    row("density", title, `ADD pod #${n}`, pick((p) => figures(last(p.addMs), last(p.addCpu), p.rss))),
    row("density", title, `DEL at ${n} pods`, pick((p) => figures(first(p.delMs), first(p.delCpu), p.rss))),
    row("density", title, "DEL at 1 pod", pick((p) => figures(last(p.delMs), last(p.delCpu), p.rss))),
  ];
  const growth = (p: DensityPass | undefined) => (p ? median(last(p.addMs)) / median(first(p.addMs)) : Number.NaN);
  const ts = passes.find((p) => p.impl === "tscni");
  const ref = passes.find((p) => p.impl === "reference");
  const checks: Check[] = [
    {
      scenario: "density",
      label: `density: ADD pod #${n} vs pod #1 (tscni)`,
      value: `${ts ? `×${growth(ts).toFixed(2)}` : "n/a"} (v1.1.1 ×${growth(ref).toFixed(2)}, v1.9.1 ×${growth(passes.find((p) => p.impl === "v191")).toFixed(2)})`,
      limit: "≤ ×1.15",
      met: ts ? growth(ts) <= 1.15 : null,
    },
  ];
  return { rows, checks };
}

interface DensityPass {
  impl: Impl;
  addMs: number[];
  delMs: number[];
  addCpu: number[];
  delCpu: number[];
  rss: number | null;
}

async function densityPass(env: BenchEnv, index: number, impl: Impl, n: number, k: number): Promise<DensityPass> {
  const ctx = ctxFor(env, index, impl, "density");
  const list = podNet(ctx, "dn", join(ctx.tmp, "ipam"), true);
  const out: DensityPass = { impl, addMs: [], delMs: [], addCpu: [], delCpu: [], rss: null };
  const runner = new Runner(impl, env.binDir[impl]);
  const nss = await newNetnsMany(n + 1);
  const pods = nss.map((ns, i) =>
    podOf([{ list, ifname: "eth0" }], ns, `density-${i}`, { portMappings: [{ hostPort: 30000 + i, containerPort: 80, protocol: "tcp" }] }),
  );
  // Pod n is the warm-up pod: it creates the bridge and the shared chains, then leaves.
  const warm = pods[n];
  try {
    if (warm) {
      await podAdd(runner, warm);
      await podDel(runner, warm);
    }
    // Only the first k and the last k operations are timed, one at a time; the pods in between
    // are added and removed 4 at a time, untimed.
    const timed = async (i: number, verb: "ADD" | "DEL"): Promise<void> => {
      const pod = pods[i];
      if (!pod) return;
      runner.reset();
      const t0 = performance.now();
      await (verb === "ADD" ? podAdd(runner, pod) : podDel(runner, pod));
      (verb === "ADD" ? out.addMs : out.delMs).push(performance.now() - t0);
      (verb === "ADD" ? out.addCpu : out.delCpu).push(runner.reset().cpuUs / 1000);
    };
    const bulk = async (from: number, to: number, verb: "ADD" | "DEL"): Promise<void> => {
      const todo = pods.slice(from, to);
      const worker = async (): Promise<void> => {
        const r = new Runner(impl, env.binDir[impl]);
        for (let pod = todo.shift(); pod; pod = todo.shift()) await (verb === "ADD" ? podAdd(r, pod) : podDel(r, pod));
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    };
    for (let i = 0; i < k; i++) await timed(i, "ADD");
    await bulk(k, n - k, "ADD");
    for (let i = n - k; i < n; i++) await timed(i, "ADD");
    // Peak RSS per exec at full density: the warm-up pod once more, under time(1), untimed.
    if (env.time && warm) {
      const r = new Runner(impl, env.binDir[impl], { kind: "rss", time: env.time, dir: env.tmp });
      await podAdd(r, warm);
      await podDel(r, warm);
      out.rss = r.reset().peakRss;
    }
    for (let i = 0; i < k; i++) await timed(i, "DEL");
    await bulk(k, n - k, "DEL");
    for (let i = n - k; i < n; i++) await timed(i, "DEL");
  } finally {
    const r = new Runner(impl, env.binDir[impl]);
    for (const pod of pods) if (pod.added) await podDel(r, pod).catch(() => undefined);
    await Promise.all(nss.map(killNetns));
  }
  return out;
}

function stormLists(ctx: InstanceCtx, kind: "bridge" | "chain"): { list: ConfList; ifname: string }[] {
  const dataDir = join(ctx.tmp, "ipam");
  return kind === "bridge"
    ? [{ list: podNet(ctx, "cb", dataDir, false), ifname: "eth0" }]
    : [
        { list: goCniLoopback, ifname: "lo" },
        { list: containerdNet(ctx, dataDir, "cc"), ifname: "eth0" },
      ];
}

/**
 * One more, untimed storm of tscni with TSCNI_PROFILE=1: the per-phase CPU and memory of each of
 * the execs while `width` pods start at once. Returns the profiles of the ADD and the DEL batch.
 */
async function profiledStorm(env: BenchEnv, index: number, id: string, kind: "bridge" | "chain", width: number): Promise<[ProfiledExec[], ProfiledExec[]]> {
  const ctx = ctxFor(env, index, "tscni", `${id}-profile`);
  const nss = await newNetnsMany(width);
  const pods = nss.map((ns, i) => podOf(stormLists(ctx, kind), ns, `conc-${i}`, kind === "chain" ? { portMappings: [] } : undefined));
  const out: [ProfiledExec[], ProfiledExec[]] = [[], []];
  try {
    for (const [i, fn] of [podAdd, podDel].entries()) {
      await Promise.all(
        pods.map(async (p) => {
          const r = new Runner("tscni", env.binDir.tscni, { kind: "profile" });
          await fn(r, p).catch(() => undefined);
          out[i]?.push(...r.reset().profiles);
        }),
      );
    }
  } finally {
    const r = new Runner("tscni", env.binDir.tscni);
    for (const p of pods) if (p.added) await podDel(r, p).catch(() => undefined);
    await Promise.all(nss.map(killNetns));
  }
  return out;
}

export async function concurrency(env: BenchEnv, index: number, impls: readonly Impl[], kind: "bridge" | "chain"): Promise<ScenarioOutcome> {
  const width = 50;
  const rounds = env.quick ? 1 : 3;
  const id = `concurrency-${kind}`;
  const acc = new Map<Impl, { add: number[]; del: number[]; addCpu: number[]; delCpu: number[]; addOk: number[]; delOk: number[]; errors: string[] }>();
  for (const impl of impls) acc.set(impl, { add: [], del: [], addCpu: [], delCpu: [], addOk: [], delOk: [], errors: [] });
  for (let round = 0; round < rounds; round++) {
    for (const impl of round % 2 === 0 ? impls : [...impls].reverse()) {
      const a = acc.get(impl);
      if (!a) continue;
      const ctx = ctxFor(env, index, impl, `${id}-${round}`);
      const lists = stormLists(ctx, kind);
      const nss = await newNetnsMany(width);
      const pods = nss.map((ns, i) => podOf(lists, ns, `conc-${i}`, kind === "chain" ? { portMappings: [] } : undefined));
      try {
        const batch = async (fn: (r: Runner, p: Pod) => Promise<void>, cpu: number[]): Promise<[number, number]> => {
          const t0 = performance.now();
          const outcomes = await Promise.all(
            pods.map(async (p) => {
              const r = new Runner(impl, env.binDir[impl]);
              try {
                await fn(r, p);
                return true;
              } catch (e) {
                if (a.errors.length < 3) a.errors.push(e instanceof Error ? e.message : String(e));
                return false;
              } finally {
                const m = r.reset();
                cpu.push(m.cpuUs / 1000);
              }
            }),
          );
          return [performance.now() - t0, outcomes.filter(Boolean).length];
        };
        const [addMs, addOk] = await batch(podAdd, a.addCpu);
        const [delMs, delOk] = await batch((r, p) => (p.added ? podDel(r, p) : Promise.resolve()), a.delCpu);
        a.add.push(addMs);
        a.addOk.push(addOk);
        a.del.push(delMs);
        a.delOk.push(delOk);
      } finally {
        const r = new Runner(impl, env.binDir[impl]);
        for (const p of pods) if (p.added) await podDel(r, p).catch(() => undefined);
        await Promise.all(nss.map(killNetns));
      }
    }
  }
  const title = `concurrency ×${width}, ${kind === "bridge" ? "bridge+host-local" : "containerd chain"}`;
  const pick = (f: (a: NonNullable<ReturnType<typeof acc.get>>) => ImplFigures): Partial<Record<Impl, ImplFigures>> =>
    Object.fromEntries([...acc].map(([impl, a]) => [impl, f(a)]));
  const okText = (impl: Impl, k: "addOk" | "delOk") => {
    const a = acc.get(impl);
    return a ? `${IMPL_LABEL[impl]} ${a[k].map((x) => `${x}/${width}`).join(" ")}` : "";
  };
  const rows = [
    row(id, title, "ADD batch", pick((a) => figures(a.add, a.addCpu, null)), impls.map((i) => okText(i, "addOk")).join("; ")),
    row(id, title, "DEL batch", pick((a) => figures(a.del, a.delCpu, null)), impls.map((i) => okText(i, "delOk")).join("; ")),
  ];
  if (impls.includes("tscni")) {
    const storm = await profiledStorm(env, index, id, kind, width);
    [rows[0], rows[1]].forEach((r, i) => {
      if (r) r.phases = summarizePhases(storm[i] ?? []);
    });
  }
  const ts = acc.get("tscni");
  const ref = acc.get("reference");
  const refErr = ref?.errors[0];
  const checks: Check[] = [
    {
      scenario: id,
      label: `${id}: ${width}/${width} concurrent ADDs succeed (tscni)`,
      value: ts ? `${Math.min(...ts.addOk)}/${width} worst round${ts.errors[0] ? ` — ${ts.errors[0]}` : ""}` : "n/a",
      limit: `${width}/${width}`,
      met: ts ? Math.min(...ts.addOk) === width : null,
    },
  ];
  if (refErr) checks.push({ scenario: id, label: `${id}: v1.1.1 failures (for information)`, value: refErr, limit: "-", met: null });
  const v191Err = acc.get("v191")?.errors[0];
  if (v191Err) checks.push({ scenario: id, label: `${id}: v1.9.1 failures (for information)`, value: v191Err, limit: "-", met: null });
  return { rows, checks };
}
