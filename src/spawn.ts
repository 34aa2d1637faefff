/**
 * The one way tscni runs another program and waits for it: argv through Bun.spawn (never a
 * shell), stdout and stderr collected, optionally bounded in time (a child still running then is
 * killed with SIGKILL and the answer says so).
 */
export interface Collected {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the child (SIGILL: a CPU it cannot run on), or null. */
  signal: string | null;
  /** The time bound passed and the child was killed. */
  timedOut: boolean;
}

export interface CollectOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Bytes for the child's stdin; none: /dev/null. */
  stdin?: Uint8Array;
  argv0?: string;
  timeoutMs?: number;
}

/** Throws what Bun.spawn throws when the program cannot be started (ENOENT, ETXTBSY, …). */
export async function spawnCollect(argv: readonly string[], o: CollectOptions): Promise<Collected> {
  const proc = Bun.spawn([...argv], { env: { ...o.env }, argv0: o.argv0, stdin: o.stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
  let timedOut = false;
  const guard =
    o.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          proc.kill("SIGKILL");
        }, o.timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(guard);
  const signal = proc.signalCode;
  return { code, stdout, stderr, signal: typeof signal === "string" ? signal : null, timedOut };
}
