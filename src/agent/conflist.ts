/**
 * The node's network config, written by the agent once it knows the Node's pod CIDRs: the same
 * network `tscni install --default-network` writes (loopback, bridge + host-local, portmap), with
 * the bridge's per-pod masquerade off (the agent masquerades kubenet-style, so pod-to-pod traffic
 * across nodes keeps its source address). Written by temp file + rename, only when it changes.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CONFLIST, defaultConflist, GENERATED_MARK } from "../cli/default-conflist.ts";

export interface ConflistOptions {
  confDir: string;
  podCIDRs: readonly string[];
  /** host-local's dataDir; undefined: its default (/var/lib/cni/networks). */
  dataDir?: string;
  /** The bridge's own per-pod masquerade (only when the agent cannot masquerade itself). */
  bridgeMasq: boolean;
  /** `"log": true` on every plugin: each call goes to the call log (tscni log, metrics). */
  logCalls: boolean;
}

export function agentConflist(o: ConflistOptions): string {
  const conf = defaultConflist({ cidrs: o.podCIDRs });
  const plugins = conf.plugins as Record<string, unknown>[];
  for (const p of plugins) {
    if (o.logCalls) p.log = true;
    if (p.type !== "bridge") continue;
    // The agent's masquerade leaves pod-to-pod traffic alone; the bridge's would NAT it too.
    p.ipMasq = o.bridgeMasq;
    if (o.dataDir !== undefined) (p.ipam as Record<string, unknown>).dataDir = o.dataDir;
  }
  return `${JSON.stringify(conf, null, 2)}\n`;
}

export type ConflistOutcome = { action: "write" | "rewrite" | "keep"; path: string } | { action: "refused"; path: string; why: string };

export function writeConflist(o: ConflistOptions): ConflistOutcome {
  const path = join(o.confDir, DEFAULT_CONFLIST);
  const text = agentConflist(o);
  let old: string | undefined;
  if (existsSync(path)) {
    old = readFileSync(path, "utf8");
    let mark: unknown;
    try {
      mark = (JSON.parse(old) as { generatedBy?: unknown }).generatedBy;
    } catch {
      mark = undefined;
    }
    if (mark !== GENERATED_MARK) return { action: "refused", path, why: `${path} exists and was not written by tscni: move it away (the agent never replaces it)` };
    if (old === text) return { action: "keep", path };
  }
  const tmp = join(o.confDir, `.${DEFAULT_CONFLIST}.agent-${process.pid}`);
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
  return { action: old === undefined ? "write" : "rewrite", path };
}
