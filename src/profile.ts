/**
 * The built-in phase profile. With `TSCNI_PROFILE=1` a plugin exec prints ONE stderr line after
 * its stdout is written:
 *
 *   tscni-profile loopback ADD start=2.91/2.40 imports=1.02/0.98 stdin=0.31/0.05 … total=6.64/5.10 rss=17.2
 *
 * Each `phase=wall/cpu` is the wall time and the process's CPU time (user + system, all threads)
 * in ms since the previous mark. The first, `start`, ends at entry. Its CPU counts from exec, but
 * Bun's clock (`performance.timeOrigin`) starts only part-way through the runtime's own set-up
 * (measured: several ms after exec), so its wall time counts from exec only when the runner says
 * when it spawned us: `TSCNI_PROFILE_SPAWNED=<epoch ms>` (performance.timeOrigin +
 * performance.now() in a Bun runner, right before the spawn). Without it `start` counts from
 * Bun's clock origin and misses that set-up.
 * A phase may repeat (one `exec:<prog>` per exec); `total` is the sum and `rss` the peak RSS so
 * far in MiB. A phase is charged to the plugin that ran it: the exec'd plugin's phases carry no
 * prefix, an in-process delegate's (chain → bridge → host-local) carry the delegate's own name,
 * `bridge:verb`, `host-local:stdin`, at any depth; the work a caller does around a delegate
 * stays under the caller's name (an exec inside bridge is `bridge:exec:<prog>`). What happens
 * after the line (exit) is only visible from outside: the bench reports it as wall time minus
 * `total`.
 *
 * Off (the default) it must cost nothing: this module imports nothing, the entry loads it only
 * when profiling (a VERSION exec then loads no module besides the entry), and `mark` is one
 * comparison.
 */
let marks: string[] | undefined;
/** performance.now() of the start of `start`: 0 (Bun's clock origin) or the runner's spawn. */
let origin = 0;
let last = 0;
let lastCpu = 0;
/** The running plugin's phase prefix: "" for the exec'd plugin, `<name>:` in a delegate. */
let prefix = "";

function cpuMs(u = process.cpuUsage()): number {
  return (u.user + u.system) / 1000;
}

/**
 * Call once, at entry. `spawnedAt` (epoch ms, from TSCNI_PROFILE_SPAWNED) moves the origin of
 * `start` back to the runner's spawn; `entry` is when the entry began (performance.now() and
 * process.cpuUsage(); default: now), so the import of this module, which the entry makes only
 * when profiling, is not counted in `start`.
 */
export function startProfile(
  enabled: boolean,
  spawnedAt = process.env.TSCNI_PROFILE_SPAWNED,
  entry: { wall: number; usage: NodeJS.CpuUsage } = { wall: performance.now(), usage: process.cpuUsage() },
): void {
  if (!enabled) return;
  marks = [];
  // Only a spawn before Bun's clock origin, and not long before: anything else is a stale or
  // foreign value, and `start` then counts from the origin as without it.
  const before = Number(spawnedAt) - performance.timeOrigin;
  origin = before <= 0 && before > -60_000 ? before : 0;
  last = origin;
  lastCpu = 0;
  prefix = "";
  markAt("start", entry.wall, cpuMs(entry.usage));
}

export function profiling(): boolean {
  return marks !== undefined;
}

/** Ends the current phase, naming it: `mark("netns")` after entering the container's netns. */
export function mark(phase: string): void {
  if (marks !== undefined) markAt(prefix + phase, performance.now(), cpuMs());
}

/**
 * An in-process delegate `name` starts: its caller's work so far is the caller's `verb`, and the
 * phases until `leaveDelegate` are `name`'s. Returns the caller's prefix for `leaveDelegate`.
 */
export function enterDelegate(name: string): string {
  if (marks === undefined) return "";
  mark("verb");
  const caller = prefix;
  prefix = `${name}:`;
  return caller;
}

/** The delegate returned: what follows is its caller's again. */
export function leaveDelegate(caller: string): void {
  if (marks !== undefined) prefix = caller;
}

function markAt(phase: string, wall: number, cpu: number): void {
  marks?.push(`${phase}=${(wall - last).toFixed(2)}/${(cpu - lastCpu).toFixed(2)}`);
  last = wall;
  lastCpu = cpu;
}

/**
 * Around a child process: `markExecStart()` ends the work before it (as "verb"),
 * `markExecEnd(path)` names the exec's own phase `exec:<program>`.
 */
export function markExecStart(): void {
  mark("verb");
}

export function markExecEnd(path: string): void {
  if (marks !== undefined) mark(`exec:${path.slice(path.lastIndexOf("/") + 1)}`);
}

/**
 * VmHWM, this process's own peak RSS. Not getrusage's maxrss: a parent that spawns with vfork
 * (Bun, Go) has its own peak folded into the child's at exec. Read only when profiling, never
 * through node:fs (its loading would raise the very peak it reports) and never through Bun.file
 * (it starts Bun's thread pool after the result is written, which the bench would count as exit
 * time): through `readSync` when the caller has one (libc, on a plugin call). Without one
 * (VERSION, which loads no libc) it is the current RSS, which Bun reads synchronously: the same
 * figure there, as such a short exec frees nothing.
 */
function peakRssKiB(readSync?: (path: string) => string | undefined): number {
  const status = readSync?.("/proc/self/status");
  if (status === undefined) return process.memoryUsage.rss() / 1024;
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) : 0;
}

/**
 * The finished line (newline included) for `label` ("loopback ADD"), or undefined when off.
 * `readSync` reads a /proc file synchronously, if the caller has a way.
 */
export function profileLine(label: string, readSync?: (path: string) => string | undefined): string | undefined {
  if (marks === undefined) return undefined;
  const rssMiB = peakRssKiB(readSync) / 1024;
  return `tscni-profile ${label} ${marks.join(" ")} total=${(last - origin).toFixed(2)}/${lastCpu.toFixed(2)} rss=${rssMiB.toFixed(1)}\n`;
}

export interface PhaseTime {
  wall: number;
  cpu: number;
}

export interface ProfileRecord {
  label: string;
  /** Phase → ms, repeated phases summed, in the order they first appeared. */
  phases: Map<string, PhaseTime>;
  total: PhaseTime;
  rssMiB: number;
}

/** Parses the profile lines out of a stderr text (the bench and the tests read them back). */
export function parseProfileLines(stderr: string): ProfileRecord[] {
  const out: ProfileRecord[] = [];
  for (const line of stderr.split("\n")) {
    const m = /^tscni-profile (\S+ \S*) ((?:\S+=[\d.]+\/[\d.]+ )*)total=([\d.]+)\/([\d.]+) rss=([\d.]+)$/.exec(line);
    if (m === null) continue;
    const phases = new Map<string, PhaseTime>();
    for (const kv of (m[2] ?? "").trim().split(" ")) {
      const eq = kv.lastIndexOf("=");
      if (eq <= 0) continue;
      const [wall, cpu] = kv.slice(eq + 1).split("/").map(Number);
      const prev = phases.get(kv.slice(0, eq)) ?? { wall: 0, cpu: 0 };
      phases.set(kv.slice(0, eq), { wall: prev.wall + (wall ?? 0), cpu: prev.cpu + (cpu ?? 0) });
    }
    out.push({ label: m[1] ?? "", phases, total: { wall: Number(m[3]), cpu: Number(m[4]) }, rssMiB: Number(m[5]) });
  }
  return out;
}
