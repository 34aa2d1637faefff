/**
 * Runs inside the fresh network + mount namespace made by test/run.ts: prepares it as a
 * stand-in "host" and then runs one test file there. Nothing here can reach the machine's own
 * network namespace, firewall or /run.
 */
import { mkdirSync } from "node:fs";

const file = process.argv[2];
if (file === undefined || process.env.TSCNI_ISOLATED !== "1") {
  console.error("usage (from test/run.ts only): TSCNI_ISOLATED=1 isolated-entry.ts <test file>");
  process.exit(2);
}

function must(argv: string[]): void {
  const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) {
    console.error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
    process.exit(2);
  }
}

// A private /run keeps netns bind mounts, lock files and xtables locks inside this sandbox.
must(["mount", "-t", "tmpfs", "tmpfs", "/run"]);
mkdirSync("/run/netns", { recursive: true });
mkdirSync("/run/tscni", { recursive: true });
must(["ip", "link", "set", "lo", "up"]);

const proc = Bun.spawn([process.execPath, "test", "--timeout", "120000", `./${file}`], {
  stdio: ["ignore", "inherit", "inherit"],
  env: process.env,
});
process.exit(await proc.exited);
