/**
 * Kills at every side-effecting step of ADD: for each syscall that changes state (netlink
 * requests, file writes, tool execs, file creation), the chain's ADD is run under
 * `strace -f -e inject=<syscall>:signal=SIGKILL:when=N` for N = 1, 2, … until an ADD completes
 * without reaching the Nth call (or, past `maxPerSyscall`, every k-th N: still enumerated, never
 * random). After each kill the runtime does what a real one does, DEL, and the state must be
 * the baseline again.
 */
import { exec as run, SYSTEM_PATH, tempNetns } from "../harness.ts";
import { execPlugin } from "../../src/cni/index.ts";
import type { PluginExec } from "../../src/runtime/index.ts";
import { diff, type Snapshot, snapshot } from "./invariants.ts";
import { note, type Tally, tally } from "./tally.ts";
import { attachment, bridgeExec, type Impl, implDirs, type Net, runtimeFor } from "./world.ts";

export const KILL_SYSCALLS = ["sendto", "write", "execve", "openat"] as const;

export interface KillOptions {
  maxPerSyscall: number;
  deadline: number;
}

/** Runs the plugin named `target` under strace with the injection; every other plugin runs plainly. */
function killingExec(target: string, syscall: string, when: number): PluginExec {
  return async (req) => {
    if (!req.path.endsWith(`/${target}`)) return execPlugin(req.path, req.env, new TextEncoder().encode(req.stdin));
    const inject = `inject=${syscall}:signal=SIGKILL:when=${when}`;
    const argv = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", `trace=${syscall}`, "-e", inject, "--", req.path];
    const proc = Bun.spawn(argv, { env: req.env, stdin: new TextEncoder().encode(req.stdin), stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  };
}

/** How often `syscall` happens in one plain ADD of the bridge's exec (strace -c). */
async function countCalls(impl: Impl, net: Net, syscall: string): Promise<number> {
  await using ns = await tempNetns();
  const rt = attachment(`count-${impl.tag}`, ns.path, 21000);
  let count = 0;
  const counting: PluginExec = async (req) => {
    if (!req.path.endsWith(`/${bridgeExec(impl)}`)) return execPlugin(req.path, req.env, new TextEncoder().encode(req.stdin));
    const out = `/tmp/tscni-soak/strace-count-${impl.tag}`;
    const argv = ["strace", "-f", "-c", "-o", out, "-e", `trace=${syscall}`, "--", req.path];
    const proc = Bun.spawn(argv, { env: req.env, stdin: new TextEncoder().encode(req.stdin), stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const summary = await Bun.file(out).text();
    // `% time  seconds  usecs/call  calls  [errors]  syscall`
    const row = summary.split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f[f.length - 1] === syscall);
    count = Number(row?.[3] ?? 0);
    return { code, stdout, stderr };
  };
  const runtime = runtimeFor(impl, counting);
  await runtime.add(net.list, rt);
  await runtime.del(net.list, rt);
  return count;
}

export async function kills(impl: Impl, net: Net, baseline: Snapshot, o: KillOptions): Promise<Tally> {
  const t = tally();
  const dirs = implDirs(impl);
  const plain = runtimeFor(impl);
  if ((await run(["strace", "-V"], { env: { PATH: SYSTEM_PATH } })).code !== 0) {
    note(t, "strace missing: kill phase skipped");
    return t;
  }
  for (const syscall of KILL_SYSCALLS) {
    if (Date.now() > o.deadline) break;
    const total = await countCalls(impl, net, syscall);
    const stride = Math.max(1, Math.ceil(total / o.maxPerSyscall));
    for (let when = 1; when <= total + 1 && Date.now() < o.deadline; when += stride) {
      await using ns = await tempNetns();
      const rt = attachment(`kill-${impl.tag}-${syscall}-${when}`, ns.path, 21001);
      t.calls++;
      try {
        await runtimeFor(impl, killingExec(bridgeExec(impl), syscall, when)).add(net.list, rt);
      } catch {
        t.failed++;
      }
      t.calls++;
      try {
        await plain.del(net.list, rt);
      } catch (err) {
        t.failed++;
        note(t, `DEL after kill at ${syscall}#${when}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const left = diff(baseline, await snapshot(dirs));
      if (left.length > 0) {
        t.leaks += left.length;
        note(t, `kill at ${syscall}#${when} then DEL left: ${left.slice(0, 3).join(" | ")}`);
        // Start the next step from a clean state again, so one leak is counted once.
        await plain.gc(net.list, []);
        baseline = await snapshot(dirs);
      }
    }
  }
  return t;
}
