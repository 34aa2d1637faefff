/** What the build scripts share: running a tool that must succeed, and tar flags for reproducible archives. */

/** Runs argv (no shell), stderr passed through; throws naming the command when it exits non-zero. */
export function runOrThrow(argv: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; stdout?: "inherit" | "ignore" } = {}): void {
  const r = Bun.spawnSync(argv, { cwd: opts.cwd, env: opts.env, stdout: opts.stdout ?? "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${r.exitCode}`);
}

/** GNU tar flags that make an archive's bytes depend only on its files: sorted names, `epoch` mtimes, numeric root owner. */
export function reproducibleTarFlags(epoch: number): string[] {
  return ["--sort=name", `--mtime=@${epoch}`, "--owner=0", "--group=0", "--numeric-owner", "--format=gnu"];
}
