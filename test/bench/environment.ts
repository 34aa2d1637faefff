/**
 * What the bench compares and on what: the binaries of each implementation, the plugins tscni
 * answers to, the measuring tools found, and the machine and version facts every report starts with.
 */
import { existsSync, readFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join } from "node:path";
import { distDir, referenceDir, repoRoot, SYSTEM_PATH } from "../harness.ts";
import type { RunMeta } from "./markdown.ts";
import type { BenchEnv } from "./model.ts";
import type { Options } from "./options.ts";
import { Runner } from "./proc.ts";

/** The plugins the scenarios exec; the reference must have all of them. */
const BENCHED_PLUGINS = ["bridge", "host-local", "loopback", "portmap"] as const;

export interface RunFacts extends RunMeta {
  quick: boolean;
  only: string[];
  tscniPlugins: string[];
  strace: boolean;
  gnuTime: boolean;
}

/** TSCNI_BENCH_DIST: compare another build (a directory holding the plugin names) instead of dist/. */
export const tscniDir = (): string => process.env.TSCNI_BENCH_DIST ?? distDir;

/** Why the bench cannot run here (a missing build or reference plugin), or undefined. */
export function missingBinaries(): string | undefined {
  const dir = tscniDir();
  if (!existsSync(join(dir, "loopback"))) return `${dir}/loopback is missing: run make build (or make bench)`;
  const absent = BENCHED_PLUGINS.find((p) => !existsSync(join(referenceDir, p)));
  return absent === undefined ? undefined : `${referenceDir}/${absent} is missing: apt-get install containernetworking-plugins`;
}

/** The plugins tscni answers VERSION for (TSCNI_BENCH_UNIMPLEMENTED=bridge,… forces some off). */
async function tscniPlugins(dir: string): Promise<Set<string>> {
  const forcedOff = new Set((process.env.TSCNI_BENCH_UNIMPLEMENTED ?? "").split(",").filter((s) => s !== ""));
  const out = new Set<string>();
  // tscni-chain is tscni's alone (chain-mode scenarios); the references run the plain lists.
  for (const p of [...BENCHED_PLUGINS, "tscni-chain"]) {
    if (forcedOff.has(p)) continue;
    const r = await new Runner("tscni", dir).run({ plugin: p, command: "VERSION", stdin: '{"cniVersion":"1.0.0"}' });
    if (r.code === 0) out.add(p);
  }
  return out;
}

/**
 * The CPU as /proc/cpuinfo names it, with its family, model and clock: a VM's brand string alone
 * ("AMD EPYC") hides the generation, and two runs' ratios are comparable only on the same one (the
 * interpreted JS of a tscni exec ran 1.9x slower on a family 23 EPYC at 2.0 GHz than on the VM
 * of earlier runs, the Go references 1.2-1.4x).
 */
export function cpuIdentity(cpuinfo: string, fallback: string): string {
  const field = (name: string): string | undefined => {
    const m = new RegExp(`^${name}\\s*: (.*)$`, "m").exec(cpuinfo);
    return m?.[1]?.trim();
  };
  const model = field("model name") ?? fallback;
  const family = field("cpu family");
  const number = field("model");
  const mhz = field("cpu MHz");
  if (family === undefined || number === undefined) return model;
  const clock = mhz === undefined ? "" : `, ${(Number(mhz) / 1000).toFixed(1)} GHz`;
  return `${model} (family ${family} model ${number}${clock})`;
}

function cpuFacts(): string {
  const brand = cpus()[0]?.model ?? "unknown";
  try {
    return cpuIdentity(readFileSync("/proc/cpuinfo", "utf8"), brand);
  } catch {
    return brand;
  }
}

function commandOutput(argv: string[]): string {
  try {
    const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "ignore", env: { PATH: SYSTEM_PATH } });
    return r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
  } catch {
    return "unknown";
  }
}

export async function benchEnv(opts: Options, tmp: string): Promise<BenchEnv> {
  const dir = tscniDir();
  const v191Dir = join(repoRoot, "..", "shared", "reference-bin", "v1.9.1");
  return {
    quick: opts.quick,
    rounds: opts.rounds,
    warmup: opts.quick ? 1 : 2,
    densityPods: opts.pods,
    binDir: { tscni: dir, reference: referenceDir, v191: v191Dir },
    hasV191: existsSync(join(v191Dir, "loopback")),
    tscniPlugins: await tscniPlugins(dir),
    strace: Bun.which("strace", { PATH: SYSTEM_PATH }) ?? null,
    time: existsSync("/usr/bin/time") ? "/usr/bin/time" : null,
    tmp,
  };
}

export function runFacts(opts: Options, env: BenchEnv): RunFacts {
  return {
    date: new Date().toISOString(),
    kernel: release(),
    cpu: cpuFacts(),
    cores: cpus().length,
    bun: Bun.version,
    tscni: commandOutput([join(env.binDir.tscni, "tscni"), "version"]),
    reference: `containernetworking-plugins ${commandOutput(["dpkg-query", "-W", "-f", "${Version}", "containernetworking-plugins"])} (${referenceDir})`,
    v191: env.hasV191 ? `containernetworking/plugins v1.9.1 (${env.binDir.v191})` : "v1.9.1 not found",
    rounds: opts.rounds,
    warmup: env.warmup,
    densityPods: opts.pods,
    quick: opts.quick,
    only: opts.only,
    tscniPlugins: [...env.tscniPlugins].sort(),
    strace: env.strace !== null,
    gnuTime: env.time !== null,
  };
}
