/**
 * Runs inside the fresh network + mount namespace made by test/run.ts: prepares it as a
 * stand-in "host" and then runs one test file there. Nothing here can reach the machine's own
 * network namespace, firewall or /run.
 */
import { prepareThrowawayHost } from "./harness.ts";

const file = process.argv[2];
if (file === undefined || process.env.TSCNI_ISOLATED !== "1") {
  console.error("usage (from test/run.ts only): TSCNI_ISOLATED=1 isolated-entry.ts <test file>");
  process.exit(2);
}

try {
  prepareThrowawayHost();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}

const proc = Bun.spawn([process.execPath, "test", "--timeout", "120000", `./${file}`], {
  stdio: ["ignore", "inherit", "inherit"],
  env: process.env,
});
process.exit(await proc.exited);
