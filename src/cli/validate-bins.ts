/**
 * A plugin `type` looked up the way a runtime looks it up (the bin dirs in order), and, for a
 * binary that is not this tscni, asked VERSION as podman asks it: a plugin that does not speak the
 * network's cniVersion fails every ADD, so validate says so first.
 */
import { realpathSync } from "node:fs";
import { SUPPORTED_VERSIONS } from "../cni/index.ts";
import { findInPath } from "../runtime/index.ts";
import { type Collected, spawnCollect } from "../spawn.ts";

/** How long a foreign plugin may take to answer VERSION. */
const VERSION_TIMEOUT_MS = 3000;

export interface PluginBinary {
  path: string;
  /** The versions it supports, or why they are unknown. */
  versions?: readonly string[];
  error?: string;
}

function same(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Execs `path` with CNI_COMMAND=VERSION, bounded in time; the supported versions or why not. */
async function askVersion(path: string, cniVersion: string): Promise<Pick<PluginBinary, "versions" | "error">> {
  let r: Collected;
  try {
    r = await spawnCollect([path], {
      env: { CNI_COMMAND: "VERSION", PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      stdin: new TextEncoder().encode(JSON.stringify({ cniVersion })),
      timeoutMs: VERSION_TIMEOUT_MS,
    });
  } catch (err) {
    return { error: `cannot be executed: ${(err as Error).message}` };
  }
  if (r.timedOut) return { error: `did not answer VERSION within ${VERSION_TIMEOUT_MS / 1000} s` };
  const out = r.stdout;
  let doc: { supportedVersions?: unknown; msg?: unknown } = {};
  try {
    doc = JSON.parse(out) as typeof doc;
  } catch {
    return { error: `answered VERSION with something that is not CNI JSON (exit ${r.code})` };
  }
  if (Array.isArray(doc.supportedVersions)) return { versions: doc.supportedVersions.map(String) };
  return { error: `VERSION failed: ${typeof doc.msg === "string" ? doc.msg : out.trim()}` };
}

/** Looks plugins up in `dirs`; answers are cached per binary and cniVersion. */
export class PluginFinder {
  private readonly cache = new Map<string, PluginBinary>();
  constructor(
    readonly dirs: readonly string[],
    /** This tscni's own binary: its versions are known without an exec. */
    private readonly self: string = process.execPath,
  ) {}

  async find(type: string, cniVersion: string): Promise<PluginBinary> {
    let path: string;
    try {
      path = findInPath(type, [...this.dirs]);
    } catch (err) {
      return { path: "", error: (err as Error).message };
    }
    const key = `${path}\u0000${cniVersion}`;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      hit = same(path, this.self) ? { path, versions: SUPPORTED_VERSIONS } : { path, ...(await askVersion(path, cniVersion)) };
      this.cache.set(key, hit);
    }
    return hit;
  }

  /** The problem a runtime would hit with `type` under `cniVersion`, if any. */
  async problem(type: string, cniVersion: string): Promise<string | undefined> {
    const b = await this.find(type, cniVersion);
    if (b.error !== undefined) return b.path === "" ? b.error : `${b.path} ${b.error}`;
    if (cniVersion === "" || b.versions === undefined || b.versions.includes(cniVersion)) return undefined;
    return (
      `${b.path} supports CNI ${b.versions.join(", ")}, not this network's cniVersion ${cniVersion}: ` +
      `every call fails with "incompatible CNI versions"`
    );
  }
}
