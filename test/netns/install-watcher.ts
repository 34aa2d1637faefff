/**
 * What a runtime sees of a CNI bin dir while tscni installs into it: a stat poller in its own
 * process (a name missing for a moment is a miss) and, in this process, a loop that execs every
 * name with CNI_COMMAND=VERSION as podman does before each ADD (any non-answer is a failure).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { SYSTEM_PATH } from "../harness.ts";

/** Every entry under `dir`: type, mode, mtime, and the bytes' digest or the link's target. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const key = relative(dir, p);
      if (st.isSymbolicLink()) out[key] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[key] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(p);
      } else {
        const digest = new Bun.CryptoHasher("sha256").update(readFileSync(p)).digest("hex");
        out[key] = `file ${(st.mode & 0o7777).toString(8)} ${st.mtimeMs} ${digest}`;
      }
    }
  };
  walk(dir);
  return out;
}

const POLLER = `
const { statSync, existsSync } = require("node:fs");
const [dir, stop, ...names] = process.argv.slice(1);
const misses = {};
let polls = 0;
for (;;) {
  for (const n of names) {
    try { statSync(dir + "/" + n); } catch { misses[n] = (misses[n] ?? 0) + 1; }
  }
  polls++;
  // A short pause now and then leaves the installer a CPU on a 2-core machine; a rename has no
  // window to miss, the old rm-then-link install had windows of milliseconds.
  if (polls % 200 === 0) {
    if (existsSync(stop)) break;
    console.log(polls);
    Bun.sleepSync(1);
  }
}
console.log(JSON.stringify({ polls, misses }));
`;

export interface WatchResult {
  calls: number;
  polls: number;
  misses: Record<string, number>;
  failures: string[];
}

export interface Watcher {
  /** Resolves after `n` more complete VERSION rounds over every name and 200 more polls. */
  rounds(n: number): Promise<void>;
  stop(): Promise<WatchResult>;
}

export function startWatcher(dir: string, names: readonly string[]): Watcher {
  const stopFile = join(dir, "..", `.watcher-stop-${process.pid}`);
  const poller = Bun.spawn([process.execPath, "-e", POLLER, dir, stopFile, ...names], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  let done = false;
  let round = 0;
  let calls = 0;
  // The poller reports every 200 polls on a line of its own, its result as the last line.
  let polled = 0;
  let output = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of poller.stdout) {
      output += decoder.decode(chunk);
      const counts = output.split("\n").filter((l) => /^\d+$/.test(l));
      polled = Number(counts[counts.length - 1] ?? polled);
    }
  })();
  const failures: string[] = [];
  const loop = (async () => {
    while (!done) {
      for (const n of names) {
        const proc = Bun.spawn([join(dir, n)], { env: { PATH: SYSTEM_PATH, CNI_COMMAND: "VERSION" }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
        const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]).catch((e: unknown) => [String(e), -1] as const);
        calls++;
        let ok = false;
        try {
          ok = code === 0 && Array.isArray((JSON.parse(out) as { supportedVersions?: unknown }).supportedVersions);
        } catch {
          ok = false;
        }
        if (!ok) failures.push(`${n}: exit ${code}: ${out.slice(0, 100)}`);
      }
      round++;
    }
  })();
  return {
    async rounds(n) {
      const target = round + n;
      const polls = polled + 200;
      while (round < target || polled < polls) await Bun.sleep(5);
    },
    async stop() {
      done = true;
      await loop;
      await Bun.write(stopFile, "");
      await reading;
      await poller.exited;
      Bun.spawnSync(["rm", "-f", stopFile]);
      const last = output.trim().split("\n").pop() ?? "{}";
      const { polls, misses } = JSON.parse(last) as { polls: number; misses: Record<string, number> };
      return { calls, polls, misses, failures };
    },
  };
}
