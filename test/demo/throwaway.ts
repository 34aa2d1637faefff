/**
 * How a demo runs: the script re-executes itself inside a throwaway host (fresh network, mount and
 * PID namespaces; nothing reaches the machine's own network, /run or /var/lib/cni) and runs
 * `inner` there, bounded by `limitMs` as a whole (ending the namespace's process tree).
 */
import { THROWAWAY_HOST } from "../harness.ts";

export function runDemo(name: string, script: string, limitMs: number, inner: () => Promise<void>): void {
  const main = async (): Promise<number> => {
    if (process.env.TSCNI_DEMO_INNER === "1") {
      await inner();
      return 0;
    }
    if (process.getuid?.() !== 0) {
      console.error(`make ${name} needs root (it creates network namespaces)`);
      return 1;
    }
    const p = Bun.spawn([...THROWAWAY_HOST, process.execPath, script], { env: { ...process.env, TSCNI_DEMO_INNER: "1" }, stdio: ["ignore", "inherit", "inherit"] });
    const watchdog = setTimeout(() => {
      console.error(`${name} failed: not finished after ${limitMs / 1000} s`);
      p.kill("SIGKILL");
    }, limitMs);
    const code = await p.exited;
    clearTimeout(watchdog);
    return code;
  };
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
