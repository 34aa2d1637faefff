/**
 * What is installed in the bin dir: which binary each configured plugin type resolves to, the
 * installed tscni's version against this one, and plugin names held by other programs.
 */
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { buildCommit, buildVersion } from "../build-info.ts";
import { findInPath } from "../runtime/index.ts";
import { type Check, error, ok, warning } from "./doctor-check.ts";
import type { InstalledProbe } from "./doctor-kernel.ts";
import { BINARY_NAME } from "./install.ts";
import { checkIntegrity } from "./integrity.ts";
import { type Collected, spawnCollect } from "../spawn.ts";

/** `ours`: the plugin names tscni ships; only for those is `tscni install` the fix. */
export function pluginChecks(types: readonly string[], bins: readonly string[], ours: readonly string[]): Check[] {
  return [...new Set(types)].sort().map((t) => {
    try {
      const path = findInPath(t, bins);
      let via = "";
      try {
        if (lstatSync(path).isSymbolicLink() && readlinkSync(path) === BINARY_NAME) via = " (tscni)";
      } catch {
        // not a link
      }
      return ok("plugin-binary", `${t}: ${path}${via}`);
    } catch (e) {
      const dir = bins[0] ?? "/opt/cni/bin";
      const fix = ours.includes(t)
        ? `tscni install --dir ${dir}`
        : `install the ${t} plugin into ${bins.join(":")} from the package that ships it (containernetworking-plugins; tscni does not provide ${t})`;
      return error("plugin-binary", `${t}: ${(e as Error).message}`, fix);
    }
  });
}

export interface InstalledTscni {
  probe: InstalledProbe;
  checks: Check[];
}

/** Runs `<dir>/tscni version --json` (the binary a runtime would exec, not this one). */
export async function installedTscni(bins: readonly string[]): Promise<InstalledTscni> {
  const path = bins.map((d) => join(d, BINARY_NAME)).find((p) => existsSync(p));
  if (path === undefined) return { probe: "absent", checks: [ok("tscni-version", `tscni is not installed in ${bins.join(":")}`)] };
  // Bounded: a binary that hangs is a finding for doctor to report, not a reason for doctor to hang.
  let r: Collected;
  try {
    r = await spawnCollect([path, "version", "--json"], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }, timeoutMs: 10_000 });
  } catch (e) {
    r = { code: -1, stdout: "", stderr: (e as Error).message, signal: null, timedOut: false };
  }
  const integrity = integrityCheck(path, bins[0] ?? "/opt/cni/bin");
  if (r.signal === "SIGILL") return { probe: "sigill", checks: [integrity] };
  let v: { version?: string; commit?: string } = {};
  try {
    v = JSON.parse(r.stdout) as typeof v;
  } catch {
    // an old or broken binary: reported below
  }
  if (r.code !== 0 || v.version === undefined) {
    const why = r.signal !== null ? `killed by ${r.signal}` : `exit ${r.code}: ${r.stderr.trim().split("\n")[0] ?? ""}`;
    return { probe: "ran", checks: [integrity, error("tscni-version", `${path} does not answer "version" (${why})`, `reinstall: tscni install --dir ${bins[0]}`)] };
  }
  const same = v.version === buildVersion && v.commit === buildCommit;
  const text = `tscni v${v.version} (commit ${v.commit ?? "?"})`;
  return {
    probe: "ran",
    checks: [
      integrity,
      same
        ? ok("tscni-version", `${path}: ${text}, the same as this tscni`)
        : warning("tscni-version", `${path} is ${text}; this tscni is v${buildVersion} (commit ${buildCommit})`, `tscni install --dir ${bins[0]} from the build you mean to run`),
    ],
  };
}

/** The installed binary against the checksum recorded beside it when it was built or installed. */
function integrityCheck(path: string, dir: string): Check {
  const r = checkIntegrity(path);
  if (r.ok) return ok("binary-integrity", `${path}: sha256 ${r.digest.slice(0, 12)}… matches the recorded checksum`);
  const fix = `tscni install --dir ${dir} from a release artefact or make build (never strip the binary)`;
  return r.reason === "no-checksum" ? warning("binary-integrity", r.detail, fix) : error("binary-integrity", r.detail, fix);
}
