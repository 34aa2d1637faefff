/**
 * The runtimes' environment reaches every plugin call: Bun reads BUN_OPTIONS (e.g. `--preload`:
 * code run as root in every call) and BUN_BE_BUN (the binary turns into the bun CLI) even in a
 * compiled binary, BUN_JSC_* tunes the engine (BUN_JSC_useJIT=0 breaks bun:ffi), and an address
 * space limit of 2 GiB or less makes bun:ffi fail too. Nothing in the build switches these off,
 * so doctor looks at the processes that exec plugins.
 */
import { readdirSync } from "node:fs";
import { type Check, ok, type ProcRoot, warning } from "./doctor-check.ts";
import { readText } from "./doctor-kernel.ts";

export const RUNTIMES = ["containerd", "crio", "kubelet", "podman"] as const;
const AS_LIMIT_FLOOR = 2 * 1024 ** 3;

const dangerous = (name: string): boolean => name === "BUN_OPTIONS" || name === "BUN_BE_BUN" || name.startsWith("BUN_JSC_");

/** The soft "Max address space" of /proc/<pid>/limits in bytes; undefined = unlimited or unreadable. */
export function addressSpaceLimit(limits: string): number | undefined {
  const line = limits.split("\n").find((l) => l.startsWith("Max address space"));
  const soft = line?.slice("Max address space".length).trim().split(/\s+/)[0];
  return soft === undefined || soft === "unlimited" || !/^\d+$/.test(soft) ? undefined : Number(soft);
}

export function runtimeEnvChecks(p: ProcRoot): Check[] {
  const checks: Check[] = [];
  let seen = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync(p.proc).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  } catch {
    return [warning("runtime-env", `cannot list ${p.proc}: runtime environments not checked`, "run tscni doctor as root on the node")];
  }
  for (const pid of pids) {
    const comm = readText(`${p.proc}/${pid}/comm`)?.trim();
    if (comm === undefined || !(RUNTIMES as readonly string[]).includes(comm)) continue;
    seen++;
    const who = `${comm} (pid ${pid})`;
    const environ = readText(`${p.proc}/${pid}/environ`);
    if (environ === undefined) {
      checks.push(warning("runtime-env", `${who}: environment unreadable`, "run tscni doctor as root"));
    } else {
      const names = environ.split("\0").map((kv) => kv.slice(0, kv.indexOf("="))).filter(dangerous);
      if (names.length > 0) {
        checks.push(
          warning(
            "runtime-env",
            `${who} passes ${names.join(", ")} to every plugin call: Bun obeys ${names.length > 1 ? "them" : "it"} (code loaded into, or a changed engine for, each root plugin exec)`,
            `remove ${names.join(", ")} from ${comm}'s environment (systemctl edit ${comm}, then restart it)`,
          ),
        );
      }
    }
    const limit = addressSpaceLimit(readText(`${p.proc}/${pid}/limits`) ?? "");
    if (limit !== undefined && limit <= AS_LIMIT_FLOOR) {
      checks.push(
        warning(
          "runtime-limits",
          `${who} limits the address space to ${(limit / 1024 ** 2).toFixed(0)} MiB: tscni's plugin calls fail (bun:ffi needs more)`,
          `raise it: LimitAS=infinity in ${comm}'s systemd unit (systemctl edit ${comm})`,
        ),
      );
    }
  }
  if (checks.length === 0) {
    checks.push(ok("runtime-env", seen === 0 ? `no ${RUNTIMES.join("/")} process running` : `${seen} runtime process(es): no BUN_* variables, no address space limit ≤ 2 GiB`));
  }
  return checks;
}
