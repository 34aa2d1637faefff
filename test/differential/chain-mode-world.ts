/**
 * Chain mode against the plain conflist, both through `tscni run` (src/runtime, the
 * libcni-equivalent executor) in a throwaway host netns: the runtimes' conflists, stub plugins
 * for what this machine lacks (flannel, a member made to fail), one step list played twice, and
 * after every step the runtime's outcome, the whole world state and the result cache.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toChainMode } from "../../src/cli/chain-mode-convert.ts";
import { distDir, exec, type Exec, SYSTEM_PATH, tempDir, tscni } from "../harness.ts";
import { resetDataDir, world, type World, worldState } from "../fixtures/bridge/support.ts";
import type { Json } from "./normalize.ts";
import { BridgeNames } from "./scenario-names.ts";

export type List = Record<string, unknown>;

/** Stubs: `flannel` delegates a fixed bridge config (as the meta-plugin does), `failer` fails $FAIL_ON. */
export function stubDir(root: string): string {
  const dir = join(root, "stubs");
  mkdirSync(dir, { recursive: true });
  const delegate = (v: string) =>
    JSON.stringify({ cniVersion: v, name: "cbr0", type: "bridge", bridge: "cni0", isGateway: true, ipMasq: false, hairpinMode: true, forceAddress: true, isDefaultGateway: true, ipam: { type: "host-local", ranges: [[{ subnet: "10.42.0.0/24" }]], routes: [{ dst: "10.42.0.0/16" }] } });
  writeFileSync(
    join(dir, "flannel"),
    `#!/bin/sh\nv=$(jq -r '.cniVersion')\ncase "$CNI_COMMAND" in CHECK) exit 0;; esac\n` +
      `case "$v" in 1.0.0) d='${delegate("1.0.0")}';; *) d='${delegate("0.3.1")}';; esac\nprintf '%s' "$d" | exec ${distDir}/bridge\n`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(dir, "failer"),
    `#!/bin/sh\nconf=$(cat)\nif [ "$CNI_COMMAND" = "$FAIL_ON" ]; then echo '{"code":11,"msg":"failer says no","details":"on purpose"}'; exit 1; fi\n` +
      `case "$CNI_COMMAND" in ADD) printf '%s' "$conf" | jq -c '.prevResult';; VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0","1.1.0"]}';; esac\n`,
    { mode: 0o755 },
  );
  return dir;
}

export interface Step {
  verb: "add" | "check" | "del" | "gc" | "status";
  env?: Record<string, string>;
  /** Extra `tscni run` flags (e.g. --valid for gc). */
  flags?: string[];
  /** Which implementation's plugins serve the step (default: this play's). */
  binDir?: string;
  /** Which form of the list the runtime reads for this step (default: this play's). */
  mode?: "plain" | "chain";
}

export interface Play {
  list: List;
  mode: "plain" | "chain";
  binDir: string;
  capArgs?: Json;
  steps: Step[];
}

/** The cache as libcni keeps it; `config` decoded, since it holds the list the runtime read. */
function cacheState(cacheDir: string, names: BridgeNames): Json {
  const dir = join(cacheDir, "results");
  let files: string[] = [];
  try {
    files = readdirSync(dir).sort();
  } catch {
    return "none";
  }
  return files.map((f) => {
    const entry = JSON.parse(names.text(readFileSync(join(dir, f), "utf8"))) as Record<string, Json>;
    const config = JSON.parse(Buffer.from(String(entry.config), "base64").toString()) as Json;
    return { file: f, ...entry, config };
  });
}

function runtimeCall(w: World, step: Step, p: Play, confDir: string, cacheDir: string): Promise<Exec> {
  const ctr = w.containers[0]?.path ?? "";
  const net = String(p.list.name);
  const where = step.verb === "gc" || step.verb === "status" ? [] : [ctr, "--container-id", "ctr0"];
  const caps = p.capArgs !== undefined && step.verb !== "gc" && step.verb !== "status" ? ["--cap-args", JSON.stringify(p.capArgs)] : [];
  const argv = [tscni("tscni"), "run", step.verb, net, ...where, "--conf-dir", join(confDir, step.mode ?? p.mode), "--bin-dir", step.binDir ?? p.binDir, "--cache-dir", cacheDir, ...caps, ...(step.flags ?? [])];
  return exec(["nsenter", `--net=${w.host.path}`, "--", ...argv], { env: { PATH: SYSTEM_PATH, ...step.env } });
}

/** Plays the steps in a fresh world; one record per step: outcome, then state and cache. */
export async function play(p: Play): Promise<Json[]> {
  resetDataDir();
  using d = tempDir();
  const confDir = join(d.path, "net.d");
  for (const mode of ["plain", "chain"] as const) {
    mkdirSync(join(confDir, mode), { recursive: true });
    const doc = mode === "chain" ? toChainMode(p.list) : p.list;
    writeFileSync(join(confDir, mode, `10-${String(p.list.name)}.conflist`), `${JSON.stringify(doc, null, 2)}\n`);
  }
  const cacheDir = join(d.path, "cache");
  await using w = await world(1);
  const names = new BridgeNames();
  w.containers.forEach((c, i) => names.path(c.path, `@NETNS${i}@`));
  const out: Json[] = [];
  for (const [i, step] of p.steps.entries()) {
    const t0 = performance.now();
    const r = await runtimeCall(w, step, p, confDir, cacheDir);
    if (process.env.CHAIN_DEBUG === "1") console.error(`${p.mode} ${String(p.list.name)} ${step.verb} ${(performance.now() - t0).toFixed(0)} ms code=${r.code}`);
    out.push({ step: `${i} ${step.verb}`, code: r.code, stdout: names.text(r.stdout), stderr: names.text(r.stderr) });
    out.push({ step: `${i} state`, state: await worldState(w, names), cache: cacheState(cacheDir, names) });
  }
  return out;
}

/**
 * What the runtime is told when a member fails ADD or DEL: libcni names the list's plugin that
 * failed, which in chain mode is tscni-chain; the member's own text and code follow unchanged.
 */
export function asChainSees(plain: Json[]): Json[] {
  return plain.map((r) => {
    const rec = r as Record<string, Json>;
    if (typeof rec.stderr !== "string") return r;
    return { ...rec, stderr: rec.stderr.replace(/plugin type="[^"]+"(?: name="[^"]*")? failed \((add|delete)\)/g, 'plugin type="tscni-chain" failed ($1)') };
  });
}

/**
 * The cache's `config` is the list the runtime read: the chain form in chain mode, by design. Each
 * one is checked to be exactly toChainMode(plain) before it is replaced by the plain list.
 */
export function withPlainConfig(records: Json[], plainList: List): Json[] {
  const chainForm = JSON.stringify(toChainMode(plainList));
  return records.map((r) => {
    const rec = r as Record<string, Json>;
    if (!Array.isArray(rec.cache)) return r;
    const cache = rec.cache.map((e) => {
      const entry = e as Record<string, Json>;
      if (JSON.stringify(entry.config) !== chainForm) throw new Error(`${String(rec.step)}: cached config is not the chain-mode list: ${JSON.stringify(entry.config)}`);
      return { ...entry, config: plainList as Json };
    });
    return { ...rec, cache };
  });
}
