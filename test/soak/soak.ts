/**
 * `make soak`: churn, kills, the fault list and the fuzz corpus against tscni and the v1.9.1
 * reference, each checked by the invariant checker, in a throwaway host (its own network, mount
 * and PID namespace). Prints one table and exits non-zero when tscni leaked, handed out an
 * address twice or changed state in a failed call.
 *
 * The "mixed" phase then churns both implementations on the node at once (each one's firewall
 * calls race the other's commits); there a tscni call that fails at all counts against tscni.
 *
 *   bun test/soak/soak.ts [--duration=480] [--ops=400] [--workers=20] [--fuzz=300] [--kill-max=12]
 *                         [--seed=1] [--impls=tscni,v1.9.1,tscni-chain] [--phases=churn,kills,faults,fuzz,mixed] [--json=file]
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, prepareThrowawayHost, tempNetns, THROWAWAY_HOST } from "../harness.ts";
import { churn } from "./churn.ts";
import { faults } from "./faults.ts";
import { fuzz } from "./fuzz.ts";
import { snapshot } from "./invariants.ts";
import { kills } from "./kills.ts";
import { mixed, type Side } from "./mixed.ts";
import { add, type Row, table, type Tally, tally } from "./tally.ts";
import { attachment, BACKENDS, type Impl, IMPLS, implDirs, network, runtimeFor, SCRATCH } from "./world.ts";

export interface SoakOptions {
  durationS: number;
  ops: number;
  workers: number;
  fuzz: number;
  killMax: number;
  seed: number;
  impls: string[];
  phases: string[];
  log?: (line: string) => void;
}

export const DEFAULTS: SoakOptions = {
  durationS: 480,
  ops: 400,
  workers: 20,
  fuzz: 300,
  killMax: 12,
  seed: 1,
  impls: ["tscni", "v1.9.1", "tscni-chain"],
  phases: ["churn", "kills", "faults", "fuzz", "mixed"],
};

/** Share of one implementation's time each phase may use. */
const WEIGHTS: Record<string, number> = { churn: 0.4, kills: 0.25, faults: 0.1, fuzz: 0.25 };
/** Share of the whole run the mixed phase gets (both implementations at once). */
const MIXED_SHARE = 0.15;

async function mustRun(argv: string[]): Promise<void> {
  const r = await exec(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
}

/** Private /run and scratch area, loopback up: only inside the soak's own namespaces. */
export async function prepareHost(): Promise<void> {
  if (process.env.TSCNI_ISOLATED !== "1") throw new Error("the soak changes kernel state: run it through `make soak`");
  mkdirSync(SCRATCH, { recursive: true });
  await mustRun(["mount", "-t", "tmpfs", "tmpfs", SCRATCH]);
  prepareThrowawayHost();
}

async function soakImpl(impl: Impl, o: SoakOptions, rows: Row[]): Promise<void> {
  const log = o.log ?? (() => {});
  const nets = BACKENDS.map((b) => network(impl, b));
  const runtime = runtimeFor(impl);
  // Warm-up: the bridges and the shared chains/tables exist from the first ADD on, by design.
  for (const net of nets) {
    await using ns = await tempNetns();
    const rt = attachment(`warmup-${impl.tag}`, ns.path, 19999);
    await runtime.add(net.list, rt);
    await runtime.del(net.list, rt);
    await runtime.gc(net.list, []);
  }
  const mixedShare = o.phases.includes("mixed") ? MIXED_SHARE : 0;
  const budgetMs = (o.durationS * 1000 * (1 - mixedShare)) / o.impls.length;
  const total = tally();
  for (const phase of o.phases.filter((p) => p !== "mixed")) {
    const deadline = Date.now() + budgetMs * (WEIGHTS[phase] ?? 0.25);
    const started = Date.now();
    // Each phase is judged against the state it started from, so one leak is counted once.
    const baseline = await snapshot(implDirs(impl));
    let t: Tally;
    if (phase === "churn") t = await churn(impl, runtime, nets, baseline, { workers: o.workers, cycles: o.ops, deadline, gcEvery: 25 });
    else if (phase === "kills") t = await kills(impl, nets[0]!, baseline, { maxPerSyscall: o.killMax, deadline });
    else if (phase === "faults") t = await faults(impl, nets[0]!, baseline);
    else if (phase === "fuzz") t = await fuzz(impl, nets[1]!, o.seed, o.fuzz, deadline);
    else throw new Error(`unknown phase ${phase}`);
    log(`${impl.name} ${phase}: ${t.calls} calls in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (const e of t.examples) log(`  ${e}`);
    rows.push({ phase, impl: impl.name, t });
    add(total, t);
  }
  rows.push({ phase: "total", impl: impl.name, t: total });
}

export async function runSoak(o: SoakOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const present: Impl[] = [];
  for (const impl of IMPLS.filter((i) => o.impls.includes(i.name))) {
    if (!existsSync(join(impl.binDir, "bridge"))) {
      o.log?.(`${impl.name}: no binaries in ${impl.binDir}, skipped`);
      continue;
    }
    present.push(impl);
    await soakImpl(impl, o, rows);
  }
  if (o.phases.includes("mixed") && present.length > 1) {
    const started = Date.now();
    const sides: Side[] = present.map((impl) => ({ impl, runtime: runtimeFor(impl), nets: BACKENDS.map((b) => network(impl, b)) }));
    const deadline = started + o.durationS * 1000 * MIXED_SHARE;
    const mixedRows = await mixed(sides, { workers: o.workers, cycles: o.ops, deadline, gcEvery: 25 });
    for (const r of mixedRows) {
      o.log?.(`${r.impl} mixed: ${r.t.calls} calls in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      for (const e of r.t.examples) o.log?.(`  ${e}`);
      rows.push(r);
      const total = rows.find((x) => x.phase === "total" && x.impl === r.impl);
      if (total) add(total.t, r.t);
    }
  }
  return rows;
}

/** tscni's verdict: no leaks, no duplicate addresses, no failed call that changed state, no crash. */
export function clean(rows: Row[]): boolean {
  return rows
    .filter((r) => r.impl === "tscni")
    .every((r) => r.t.leaks + r.t.duplicates + r.t.stateChangingFailures + r.t.crashes === 0 && (r.phase !== "mixed" || r.t.failed === 0));
}

function parseArgs(argv: string[]): SoakOptions & { json?: string } {
  const o: SoakOptions & { json?: string } = { ...DEFAULTS, log: (l) => console.log(l) };
  for (const a of argv) {
    const [k, v = ""] = a.replace(/^--/, "").split("=", 2) as [string, string | undefined];
    const num = Number(v);
    if (k === "duration") o.durationS = num;
    else if (k === "ops") o.ops = num;
    else if (k === "workers") o.workers = num;
    else if (k === "fuzz") o.fuzz = num;
    else if (k === "kill-max") o.killMax = num;
    else if (k === "seed") o.seed = num;
    else if (k === "impls") o.impls = v.split(",");
    else if (k === "phases") o.phases = v.split(",");
    else if (k === "json") o.json = v;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (process.env.TSCNI_ISOLATED !== "1") {
    if (process.getuid?.() !== 0) throw new Error("the soak needs root");
    const proc = Bun.spawn([...THROWAWAY_HOST, process.execPath, import.meta.path, ...process.argv.slice(2)], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, TSCNI_ISOLATED: "1" },
    });
    return proc.exited;
  }
  await prepareHost();
  const started = Date.now();
  const rows = await runSoak(o);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\nsoak: ${seconds} s, seed ${o.seed}, ${o.workers} churn workers\n`);
  console.log(table(rows));
  const ok = clean(rows);
  console.log(ok ? "\ntscni: 0 leaks, 0 duplicates, 0 state-changing failed calls, 0 failed calls among mixed writers" : "\ntscni: NOT clean (see above)");
  if (o.json !== undefined) writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), seconds, options: { ...o, log: undefined }, rows }, null, 2));
  return ok ? 0 : 1;
}

if (import.meta.main) process.exit(await main());
