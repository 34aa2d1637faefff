/**
 * `tscni install`: every check first (flags, CIDRs, the conf dir, foreign files, the new binary),
 * then install, upgrade, roll back or uninstall.
 */
import { existsSync, mkdirSync } from "node:fs";
import { UsageError } from "./command-line.ts";
import { applyConflist, type ConflistPlan, planConflist, removeDefaultConflist, renderConflist } from "./default-conflist.ts";
import { install, verifyInstalled } from "./install.ts";
import { refuseInvalidConflist } from "./install-validate.ts";
import { callerFrom } from "./install-caller.ts";
import { layout, readManifest, writeManifest } from "./install-state.ts";
import type { Env } from "./options.ts";
import { rollback, uninstall } from "./install-undo.ts";
import type { PluginLookup } from "../container/index.ts";

export interface InstallOptions {
  dir: string;
  /** "" when not given. */
  confDir: string;
  /** --default-network CIDRs (none: no default network). */
  cidrs: string[];
  networkName: string;
  bridge: string;
  force: boolean;
  dryRun: boolean;
  uninstall: boolean;
  rollback: boolean;
  /** The plugin names to link. */
  plugins: readonly string[];
  env: Env;
  /** The plugins' config loaders: the default network is checked as `tscni validate` checks it. */
  /** The registry's entries, for validate's checks of the default network. */
  registry: PluginLookup;
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function installCommand(o: InstallOptions): Promise<void> {
  const log = (l: string): void => o.out(`${l}\n`);
  const warn = (l: string): void => o.err(`${l}\n`);
  const { dir, confDir, cidrs, dryRun, force, plugins } = o;
  const caller = callerFrom(o.env);
  if (o.uninstall && o.rollback) throw new UsageError("--uninstall and --rollback exclude each other");
  if (o.uninstall) {
    const manifest = readManifest(layout(dir));
    if (confDir !== "") removeDefaultConflist({ confDir, dryRun, asides: manifest?.confBackups ?? [], log });
    uninstall({ dir, plugins, dryRun, log, warn });
    return;
  }
  if (o.rollback) {
    await rollback({ dir, plugins, dryRun, log });
    if (!dryRun) for (const p of plugins) await verifyInstalled(dir, p);
    return;
  }
  if (cidrs.length > 0 && confDir === "") throw new UsageError("--default-network needs --conf-dir");
  let conf: ConflistPlan | undefined;
  if (cidrs.length > 0) {
    const wanted = { cidrs, name: o.networkName, bridge: o.bridge };
    try {
      // Validity first: whether to rewrite the conflist on disk is moot for one that would not load.
      await refuseInvalidConflist(renderConflist(wanted), o.registry);
      conf = planConflist({ ...wanted, confDir, force, caller });
    } catch (e) {
      // A CIDR that is not one is a wrong command line, like an unknown flag.
      if (e instanceof Error && e.message.startsWith("--default-network")) throw new UsageError(e.message);
      throw e;
    }
  }
  if (!Bun.main.startsWith("/$bunfs/")) throw new Error("install runs from the compiled binary (dist/tscni), not from source");
  const plan = await install({ dir, source: process.execPath, plugins, force, dryRun, caller, log });
  if (!dryRun) {
    for (const p of plugins) await verifyInstalled(dir, p);
    log(`verified: ${plugins.map((p) => `${dir}/${p}`).join(", ")} answer VERSION`);
  }
  if (conf === undefined) return;
  if (!existsSync(confDir)) {
    log(`${dryRun ? "would " : ""}create ${confDir}`);
    if (!dryRun) mkdirSync(confDir, { recursive: true, mode: 0o755 });
  }
  const suffix = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  const aside = applyConflist(conf, { dryRun, suffix, log, warn });
  if (aside !== undefined && !dryRun) {
    plan.manifest.confBackups.push({ path: conf.path, aside });
    writeManifest(plan.l, plan.manifest);
  }
}
