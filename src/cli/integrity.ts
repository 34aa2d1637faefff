/**
 * Is a tscni binary the one the build produced? `strip` (or a truncated copy) removes the embedded
 * program, after which the file still runs but only as Bun itself: VERSION prints Bun's help and
 * exits 0, so a runtime would not notice until the first ADD. The build writes `<binary>.sha256`
 * (sha256sum format) beside the binary; every copy tscni makes carries it along.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { basename } from "node:path";
import { spawnCollect } from "../spawn.ts";

export const CHECKSUM_SUFFIX = ".sha256";

export const checksumPath = (binary: string): string => `${binary}${CHECKSUM_SUFFIX}`;

/** sha256 of a file, read in chunks (the binary is ~100 MB). */
export function sha256File(path: string): string {
  const hasher = new Bun.CryptoHasher("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hasher.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hasher.digest("hex");
}

/** The line `sha256sum` prints, so `sha256sum -c tscni.sha256` works beside the binary. */
export const checksumLine = (digest: string, name: string): string => `${digest}  ${name}\n`;

/** The digest recorded in a checksum file, or undefined when it is missing or unreadable. */
export function recordedChecksum(binary: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(checksumPath(binary), "utf8");
  } catch {
    return undefined;
  }
  const m = /^([0-9a-f]{64})\s/.exec(text);
  return m?.[1];
}

export type IntegrityResult =
  | { ok: true; digest: string }
  | { ok: false; reason: "no-checksum" | "mismatch" | "unreadable"; detail: string; digest?: string };

/** Compares a binary with the checksum recorded beside it at build (or install) time. */
export function checkIntegrity(binary: string): IntegrityResult {
  const expected = recordedChecksum(binary);
  if (expected === undefined) {
    return {
      ok: false,
      reason: "no-checksum",
      detail: `${checksumPath(binary)} is missing: cannot tell whether ${binary} is intact (build it with make build, or use a release artefact)`,
    };
  }
  let digest: string;
  try {
    digest = sha256File(binary);
  } catch (e) {
    return { ok: false, reason: "unreadable", detail: `${binary}: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (digest !== expected) {
    return {
      ok: false,
      reason: "mismatch",
      digest,
      detail:
        `${binary} does not match its recorded checksum (${basename(checksumPath(binary))}: ${expected.slice(0, 12)}…, ` +
        `file: ${digest.slice(0, 12)}…): it was altered or stripped (never strip tscni: strip removes the embedded program)`,
    };
  }
  return { ok: true, digest };
}

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

async function run(binary: string, argv0: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const r = await spawnCollect([binary, ...args], { argv0, env, timeoutMs: 10_000 });
  return { code: r.code, out: r.stdout };
}

/**
 * Runs `binary` as a runtime would run a plugin link (argv0 `asPlugin`, CNI_COMMAND=VERSION) and
 * as the CLI (`version --json`). A binary without its embedded program answers neither.
 */
/** A plugin name to run the binary under: the registry's names come from the caller, so the CLI names none itself. */
export function anyPlugin(plugins: readonly string[]): string {
  const first = plugins[0];
  if (first === undefined) throw new Error("no plugin name to run the binary under (empty plugin list)");
  return first;
}

export async function probeBinary(binary: string, asPlugin: string): Promise<ProbeResult> {
  let plugin: { code: number; out: string };
  try {
    plugin = await run(binary, asPlugin, [], { CNI_COMMAND: "VERSION" });
  } catch (e) {
    return { ok: false, detail: `${binary} cannot be executed: ${e instanceof Error ? e.message : String(e)}` };
  }
  let versions: unknown;
  try {
    versions = (JSON.parse(plugin.out) as { supportedVersions?: unknown }).supportedVersions;
  } catch {
    versions = undefined;
  }
  if (plugin.code !== 0 || !Array.isArray(versions)) {
    const first = plugin.out.split("\n")[0] ?? "";
    return { ok: false, detail: `${binary} does not answer CNI VERSION (exit ${plugin.code}, output ${JSON.stringify(first.slice(0, 80))})` };
  }
  const cli = await run(binary, "tscni", ["version", "--json"], {});
  let version: unknown;
  try {
    version = (JSON.parse(cli.out) as { version?: unknown }).version;
  } catch {
    version = undefined;
  }
  if (cli.code !== 0 || typeof version !== "string") {
    return { ok: false, detail: `${binary} does not answer \`tscni version --json\` (exit ${cli.code})` };
  }
  return { ok: true, detail: `${binary} is tscni v${version}` };
}

/** Both checks, for `tscni install` (refuses) and `tscni doctor` (reports). */
export async function verifyBinary(binary: string, asPlugin: string): Promise<ProbeResult> {
  const integrity = checkIntegrity(binary);
  if (!integrity.ok) return { ok: false, detail: integrity.detail };
  return await probeBinary(binary, asPlugin);
}
