/**
 * `tscni install`: every check first (flags, CIDRs, the conf dir, foreign files, the new binary),
 * then install, upgrade, roll back or uninstall. Booleans also take `--force=true|false`, so a
 * Kubernetes manifest can pass `--force=$(REPLACE_FOREIGN)` from a ConfigMap.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Cli, leafCommand, UsageError } from "./command.ts";
import { applyConflist, type ConflistPlan, planConflist, removeDefaultConflist } from "./default-conflist.ts";
import { install, verifyInstalled } from "./install.ts";
import { callerFrom } from "./install-caller.ts";
import { layout, readManifest, writeManifest } from "./install-state.ts";
import { rollback, uninstall } from "./install-undo.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "install", description: "Install, upgrade, roll back or uninstall tscni in a CNI bin dir (and optionally a default network)" },
    args: {
      dir: { type: "string", default: "/opt/cni/bin", description: "CNI bin dir" },
      "conf-dir": { type: "string", description: "CNI conf dir for --default-network (e.g. /etc/cni/net.d)" },
      "default-network": {
        type: "string",
        valueHint: "CIDR",
        description: "write 10-tscni.conflist (loopback+bridge+host-local+portmap) for this pod CIDR; repeat or comma-separate for v4+v6",
      },
      "network-name": { type: "string", default: "tscni", description: "name of the default network" },
      bridge: { type: "string", default: "cni0", description: "bridge of the default network" },
      force: { type: "boolean", description: "replace foreign plugin files (kept in <dir>/.tscni/backup) and a different default conflist" },
      "dry-run": { type: "boolean", description: "print what would be done, change nothing" },
      uninstall: { type: "boolean", description: "put back what install replaced and remove only what it created" },
      rollback: { type: "boolean", description: "return to the binary installed before the last upgrade" },
    },
    async run(args, flags) {
      const log = (l: string): void => cli.out(`${l}\n`);
      const warn = (l: string): void => cli.err(`${l}\n`);
      const on = (name: string): boolean => flags.list(name).at(-1) === "true";
      const dir = args.dir;
      const confDir = args["conf-dir"] ?? "";
      const cidrs = flags.list("default-network");
      const dryRun = on("dry-run");
      const force = on("force");
      const caller = callerFrom(cli.env);
      const PLUGINS = cli.deps.pluginNames;
      if (on("uninstall") && on("rollback")) throw new UsageError("--uninstall and --rollback exclude each other");
      if (on("uninstall")) {
        const manifest = readManifest(layout(dir));
        if (confDir !== "") removeDefaultConflist({ confDir, dryRun, asides: manifest?.confBackups ?? [], log });
        uninstall({ dir, plugins: PLUGINS, dryRun, log, warn });
        return;
      }
      if (on("rollback")) {
        await rollback({ dir, dryRun, log });
        if (!dryRun) for (const p of PLUGINS) await verifyInstalled(dir, p);
        return;
      }
      if (cidrs.length > 0 && confDir === "") throw new UsageError("--default-network needs --conf-dir");
      let conf: ConflistPlan | undefined;
      if (cidrs.length > 0) {
        try {
          conf = planConflist({ cidrs, confDir, name: args["network-name"], bridge: args.bridge, force, caller });
        } catch (e) {
          // A CIDR that is not one is a wrong command line, like an unknown flag.
          if (e instanceof Error && e.message.startsWith("--default-network")) throw new UsageError(e.message);
          throw e;
        }
      }
      if (!Bun.main.startsWith("/$bunfs/")) throw new Error("install runs from the compiled binary (dist/tscni), not from source");
      const plan = await install({ dir, source: process.execPath, plugins: PLUGINS, force, dryRun, caller, log });
      if (!dryRun) {
        for (const p of PLUGINS) await verifyInstalled(dir, p);
        log(`verified: ${PLUGINS.map((p) => `${dir}/${p}`).join(", ")} answer VERSION`);
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
    },
  });
