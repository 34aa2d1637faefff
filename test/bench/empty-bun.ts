/** The empty compiled Bun program the floor rows measure (storm-memory.ts, floor.ts). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** An empty program compiled with tscni's compile flags: Bun's own start-up and memory, nothing else. */
export function emptyBun(tmp: string): string {
  const src = join(tmp, "storm-empty.ts");
  const out = join(tmp, "storm-empty");
  writeFileSync(src, 'await Bun.write(Bun.stdout, "{}");\n');
  const flags = ["--compile", "--minify", "--bytecode", "--format=esm", "--compile-jit-policy=10", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];
  const r = Bun.spawnSync([process.execPath, "build", ...flags, "--outfile", out, src], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`compiling the empty Bun program: ${r.stderr.toString()}`);
  return out;
}
