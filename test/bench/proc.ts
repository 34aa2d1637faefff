/**
 * Runs one plugin exec the way a runtime does and measures it. Four modes, never mixed:
 * - plain: wall time around spawn → exit and CPU time from the wait4 rusage (the timed rounds);
 * - trace: under `strace -f -e trace=execve`, to count the processes an operation execs;
 * - rss: under GNU `time -f %M`, for the exec's own peak RSS.
 * - profile: with TSCNI_PROFILE=1 (tscni only), for its per-phase times; TSCNI_PROFILE_SPAWNED
 *   makes its `start` phase count from this runner's spawn.
 * Why not ru_maxrss from Bun's `resourceUsage()`: Bun spawns with a vfork-style clone, and the
 * kernel folds the parent's (Bun's) high-water RSS into the child's maxrss at exec, so every
 * child looked as big as the benchmark process itself (measured: /bin/true "used" 215 MiB under a
 * 200 MiB Bun). `time` forks for real from a ~1 MiB process, so its figure is the plugin's own.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseProfileLines, type ProfileRecord } from "../../src/profile.ts";
import { SYSTEM_PATH } from "../harness.ts";

/** tscni, Debian's v1.1.1 (`reference`) and upstream v1.9.1 (`v191`), every scenario. */
export type Impl = "tscni" | "reference" | "v191";
export const IMPLS: readonly Impl[] = ["tscni", "reference"];
export const IMPL_LABEL: Record<Impl, string> = { tscni: "tscni", reference: "v1.1.1", v191: "v1.9.1" };
/** Picks disjoint bridge names, subnets and ports per implementation. */
export const SLOT: Record<Impl, number> = { tscni: 0, reference: 1, v191: 2 };

/** One profiled tscni exec: its TSCNI_PROFILE line and the wall time the runner saw around it. */
export interface ProfiledExec {
  record: ProfileRecord;
  wallMs: number;
}

export interface Call {
  plugin: string;
  command: string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  stdin?: string;
}

export interface Reply {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as JSON when it parses. */
  json: unknown;
}

/** A failed plugin exec: the scenario stops and reports this text. */
export class ExecError extends Error {
  constructor(
    readonly impl: Impl,
    readonly call: Call,
    readonly reply: Reply,
  ) {
    super(`${impl} ${call.plugin} ${call.command} exited ${reply.code}: ${(reply.stderr + reply.stdout).trim().slice(0, 400)}`);
  }

  /** True when the failure says the plugin or verb simply is not there yet. */
  get notImplemented(): boolean {
    return /unknown plugin|not implemented/i.test(this.reply.stderr + this.reply.stdout);
  }
}

/** Figures gathered over all execs of one operation (one op may exec several plugins). */
export interface OpMeasure {
  execs: number;
  peakRss: number;
  cpuUs: number;
  /** Programs exec'd, in order (traced mode only). */
  programs: string[];
  /** TSCNI_PROFILE lines of the execs (profile mode only). */
  profiles: ProfiledExec[];
}

export type Mode =
  | { kind: "plain" }
  | { kind: "trace"; strace: string; dir: string }
  | { kind: "rss"; time: string; dir: string }
  | { kind: "profile" };

const emptyMeasure = (): OpMeasure => ({ execs: 0, peakRss: 0, cpuUs: 0, programs: [], profiles: [] });

const PLAIN: Mode = { kind: "plain" };

let traceSeq = 0;

/** Execs plugins of one implementation from its directory and accumulates an OpMeasure. */
export class Runner {
  measure: OpMeasure = emptyMeasure();

  constructor(
    readonly impl: Impl,
    readonly binDir: string,
    readonly mode: Mode = PLAIN,
  ) {}

  reset(): OpMeasure {
    const m = this.measure;
    this.measure = emptyMeasure();
    return m;
  }

  /** Runs the call; throws ExecError unless it exits 0. */
  async invoke(call: Call): Promise<Reply> {
    const r = await this.run(call);
    if (r.code !== 0) throw new ExecError(this.impl, call, r);
    return r;
  }

  async run(call: Call): Promise<Reply> {
    const mode = this.mode;
    const env: Record<string, string> = { PATH: SYSTEM_PATH, CNI_COMMAND: call.command, CNI_PATH: this.binDir };
    if (call.containerId !== undefined) env.CNI_CONTAINERID = call.containerId;
    if (call.netns !== undefined) env.CNI_NETNS = call.netns;
    if (call.ifname !== undefined) env.CNI_IFNAME = call.ifname;
    if (call.args !== undefined) env.CNI_ARGS = call.args;
    if (mode.kind === "profile") env.TSCNI_PROFILE = "1";
    const binary = join(this.binDir, call.plugin);
    const side = mode.kind === "plain" || mode.kind === "profile" ? undefined : join(mode.dir, `${mode.kind}-${process.pid}-${traceSeq++}.txt`);
    let argv = [binary];
    if (mode.kind === "trace" && side) argv = [mode.strace, "-f", "-qq", "-e", "trace=execve", "-o", side, "--", binary];
    if (mode.kind === "rss" && side) argv = [mode.time, "-f", "%M", "-o", side, "--", binary];
    const t0 = performance.now();
    // The plugin's `start` phase then counts from here, not from Bun's clock origin inside it.
    if (mode.kind === "profile") env.TSCNI_PROFILE_SPAWNED = String(performance.timeOrigin + t0);
    const proc = Bun.spawn(argv, {
      stdin: call.stdin === undefined ? "ignore" : new TextEncoder().encode(call.stdin),
      stdout: "pipe",
      stderr: "pipe",
      env,
      cwd: "/",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    const wallMs = performance.now() - t0;
    if (mode.kind === "profile") for (const record of parseProfileLines(stderr)) this.measure.profiles.push({ record, wallMs });
    const ru = proc.resourceUsage();
    if (mode.kind === "plain" && ru) this.measure.cpuUs += Number(ru.cpuTime.total);
    if (mode.kind === "trace" && side) {
      const programs = tracedExecs(side);
      this.measure.execs += programs.length;
      this.measure.programs.push(...programs);
    } else {
      this.measure.execs += 1;
    }
    if (mode.kind === "rss" && side) {
      // time(1) writes "Command exited with non-zero status N" first when the plugin fails.
      const kib = Number(readFileSync(side, "utf8").trim().split("\n").pop());
      if (Number.isFinite(kib)) this.measure.peakRss = Math.max(this.measure.peakRss, kib * 1024);
    }
    if (side) rmSync(side, { force: true });
    let json: unknown;
    try {
      json = stdout === "" ? undefined : JSON.parse(stdout);
    } catch {
      json = undefined;
    }
    return { code, stdout, stderr, json };
  }
}

/**
 * Successful execve calls in an `strace -f -e trace=execve -o` file, as program basenames.
 * With -f a call can be split into "<unfinished ...>" and "<... execve resumed>) = 0": the
 * program name sits on the first line, the result on the second.
 */
export function tracedExecs(file: string): string[] {
  const pending = new Map<string, string>();
  const out: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    const pid = m?.[1] ?? "";
    const rest = m?.[2] ?? line;
    const start = /^execve\("([^"]*)"/.exec(rest);
    if (start) {
      const prog = (start[1] ?? "").split("/").pop() ?? "";
      if (/<unfinished \.\.\.>\s*$/.test(rest)) pending.set(pid, prog);
      else if (/= 0\s*$/.test(rest)) out.push(prog);
      continue;
    }
    if (/^<\.\.\. execve resumed>/.test(rest)) {
      const prog = pending.get(pid);
      pending.delete(pid);
      if (prog !== undefined && /= 0\s*$/.test(rest)) out.push(prog);
    }
  }
  return out;
}

/** "iptables×4, bridge, host-local" style summary of exec'd programs. */
export function summarizePrograms(programs: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const p of programs) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts].map(([p, n]) => (n > 1 ? `${p}×${n}` : p)).join(", ");
}
