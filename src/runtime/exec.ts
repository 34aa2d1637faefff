/**
 * Finding and running a plugin binary the way libcni's invoke package does: first regular file
 * named `type` in the bin dirs; the process env plus the CNI_* variables; the error document on
 * stdout turned back into a CniError (code and message preserved).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { CniError, goField } from "../cni/index.ts";

export interface ExecRequest {
  path: string;
  stdin: string;
  env: Record<string, string>;
}

export interface ExecReply {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

/** Runs one plugin process; injectable so the runtime is unit-testable without binaries. */
export type PluginExec = (req: ExecRequest) => Promise<ExecReply>;

export function findInPath(plugin: string, dirs: readonly string[]): string {
  if (plugin === "") throw new Error("no plugin name provided");
  if (plugin.includes("/")) throw new Error(`invalid plugin name: ${plugin}`);
  if (dirs.length === 0) throw new Error("no paths provided");
  for (const d of dirs) {
    const full = join(d, plugin);
    try {
      if (statSync(full).isFile()) return full;
    } catch {
      // keep looking
    }
  }
  throw new Error(`failed to find plugin ${JSON.stringify(plugin)} in path [${dirs.join(" ")}]`);
}

const isBusy = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === "ETXTBSY";

/** The default: spawn, retrying a binary that is being replaced ("text file busy"), like libcni. */
export const spawnPlugin: PluginExec = async (req) => {
  for (let attempt = 0; ; attempt++) {
    try {
      const proc = Bun.spawn([req.path], {
        env: req.env,
        stdin: new TextEncoder().encode(req.stdin),
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { code, stdout, stderr };
    } catch (err) {
      if (isBusy(err) && attempt < 5) {
        await Bun.sleep(1000);
        continue;
      }
      return { code: -1, stdout: "", stderr: "", spawnError: (err as Error).message };
    }
  }
};

/** Turns a failed run into the error libcni reports (a plugin's own error document is kept). */
export function pluginError(reply: ExecReply): CniError {
  const status = reply.spawnError ?? `exit status ${reply.code}`;
  if (reply.stdout === "") {
    return new CniError(
      0,
      reply.stderr === "" ? `netplugin failed with no error message: ${status}` : `netplugin failed: ${JSON.stringify(reply.stderr)}: ${status}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(reply.stdout);
  } catch (err) {
    return new CniError(0, `netplugin failed but error parsing its diagnostic message ${JSON.stringify(reply.stdout)}: ${(err as Error).message}`);
  }
  const o = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>) : {};
  const code = goField(o, "code");
  const msg = goField(o, "msg");
  const details = goField(o, "details");
  return new CniError(
    typeof code === "number" ? code : 0,
    typeof msg === "string" ? msg : "",
    typeof details === "string" ? details : "",
  );
}

/** types.Error's text: "msg" or "msg; details". */
export function errorText(e: CniError): string {
  return e.details === "" ? e.message : `${e.message}; ${e.details}`;
}
