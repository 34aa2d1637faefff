/**
 * The bench runs in the test suite's throwaway host (THROWAWAY_HOST: fresh network, mount and PID
 * namespaces), so the machine's own links, firewall, /run and /var/lib/cni are never touched and
 * no process the bench started can outlive it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isIsolatedHost, prepareThrowawayHost, THROWAWAY_HOST } from "../harness.ts";

/** Set only for the re-run below: that process still has to make its namespaces a host. */
const PREPARE = "TSCNI_BENCH_PREPARE";

/** The one process unshare --fork started (the bench inside), by PID; undefined if not (yet, still) there. */
function forkedChild(unsharePid: number): number | undefined {
  try {
    const pids = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, "utf8").trim().split(" ").filter((s) => s !== "");
    return pids.length === 1 ? Number(pids[0]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Re-runs `script` inside a throwaway host and returns its exit status.
 *
 * unshare --fork blocks SIGINT and SIGTERM while it waits, so a signal here goes straight to the
 * bench inside, which cleans up and exits (Ctrl-C reaches it anyway, with the whole foreground
 * process group). Should that bench not be found, unshare is SIGKILLed and --kill-child takes the
 * bench with it; the PID namespace ends every process it started, and the namespaces' links,
 * rules and /run go with them. Only /tmp is the machine's, so the bench inside gets a TMPDIR made
 * here and removed here once it has ended, however it ended.
 */
export async function rerunInThrowawayHost(script: string, args: readonly string[]): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), "tscni-bench-"));
  try {
    const proc = Bun.spawn([...THROWAWAY_HOST, process.execPath, script, ...args], {
      stdio: ["inherit", "inherit", "inherit"],
      env: { ...process.env, TSCNI_ISOLATED: "1", [PREPARE]: "1", TMPDIR: scratch },
    });
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.on(sig, () => {
        const bench = forkedChild(proc.pid);
        if (bench === undefined) proc.kill("SIGKILL");
        else process.kill(bench, sig);
      });
    }
    return await proc.exited;
  } finally {
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * In the bench process that must do the work: false when it still has to re-run itself in a
 * throwaway host. Prepares that host (private /run, lo up) the first time it gets there; a bench
 * started with TSCNI_ISOLATED=1 by someone else runs in what it was given.
 */
export function enterThrowawayHost(): boolean {
  if (!isIsolatedHost()) return false;
  if (process.env[PREPARE] === "1") prepareThrowawayHost();
  return true;
}
