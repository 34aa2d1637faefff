/**
 * The suite's own CLI (when the binary runs as `tscni`). citty never handles the plugin path:
 * there stdout must hold exactly one CNI JSON document.
 */
import { defineCommand, renderUsage, runCommand } from "citty";
import { buildCommit, buildString, buildVersion } from "../build-info.ts";
import { CniError } from "../cni/index.ts";
import { errorText } from "../runtime/index.ts";
import { removeDefaultConflist, writeDefaultConflist } from "./default-conflist.ts";
import { BINARY_NAME, install, stamp, uninstall, verifyInstalled } from "./install.ts";
import { repeated } from "./options.ts";
import { RUN_VERBS, runCommand as runVerb } from "./run.ts";
import type { PluginValidator } from "./validate.ts";

export { schemaValidator, type PluginValidator } from "./validate.ts";

export interface CliDeps {
  runPlugin(name: string): Promise<number>;
  /**
   * The plugins' config schemas, for `tscni validate` and `doctor` (src never imports plugins/):
   * plugin type → validator. Loaded only when a command needs them.
   */
  validators?: () => Promise<Readonly<Record<string, PluginValidator>>>;
}

const PLUGINS = ["bridge", "host-local", "loopback", "portmap"] as const;

const out = (t: string): void => void process.stdout.write(t);
const err = (t: string): void => void process.stderr.write(t);

function commands(deps: CliDeps, setExit: (code: number) => void) {
  const version = defineCommand({
    meta: { name: "version", description: "Print the tscni version and the commit it was built from" },
    args: { json: { type: "boolean", description: "machine-readable output" } },
    run({ args }) {
      if (args.json) console.log(JSON.stringify({ version: buildVersion, commit: buildCommit }));
      else console.log(buildString);
    },
  });

  const plugin = defineCommand({
    meta: { name: "plugin", description: "Run a plugin explicitly (same CNI env/stdin protocol as its link)" },
    args: { name: { type: "positional", required: true, description: PLUGINS.join(" | ") } },
    async run({ args }) {
      setExit(await deps.runPlugin(args.name));
    },
  });

  const installCmd = defineCommand({
    meta: { name: "install", description: "Install tscni and its plugin links into a CNI bin dir (and optionally a default network)" },
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
      force: { type: "boolean", description: "move foreign files of the same names aside" },
      "dry-run": { type: "boolean", description: "print what would be done" },
      uninstall: { type: "boolean", description: "remove only what tscni installed" },
    },
    async run({ args, rawArgs }) {
      const log = (l: string): void => console.log(l);
      const dryRun = args["dry-run"] === true;
      const cidrs = repeated(rawArgs, "default-network");
      const confDir = args["conf-dir"];
      if (cidrs.length > 0 && (confDir === undefined || confDir === "")) throw new Error("--default-network needs --conf-dir");
      if (args.uninstall) {
        uninstall({ dir: args.dir, plugins: PLUGINS, dryRun, log });
        if (confDir !== undefined && confDir !== "") removeDefaultConflist({ confDir, dryRun, log });
        return;
      }
      if (!Bun.main.startsWith("/$bunfs/")) {
        throw new Error(`install runs from the compiled binary (dist/${BINARY_NAME}), not from source`);
      }
      const suffix = stamp();
      install({ dir: args.dir, source: process.execPath, plugins: PLUGINS, force: args.force === true, dryRun, log, suffix });
      if (!dryRun) {
        await verifyInstalled(args.dir, "loopback");
        log(`verified: ${args.dir}/loopback answers VERSION`);
      }
      if (cidrs.length > 0 && confDir !== undefined) {
        const { mkdirSync, existsSync } = await import("node:fs");
        if (!existsSync(confDir)) {
          log(`${dryRun ? "would " : ""}create ${confDir}`);
          if (!dryRun) mkdirSync(confDir, { recursive: true, mode: 0o755 });
        }
        writeDefaultConflist({
          confDir,
          cidrs,
          name: args["network-name"],
          bridge: args.bridge,
          force: args.force === true,
          dryRun,
          suffix,
          log,
        });
      }
    },
  });

  const run = defineCommand({
    meta: { name: "run", description: "Run a network config against a netns like a runtime (libcni/cnitool semantics and cache)" },
    args: {
      verb: { type: "positional", required: true, description: RUN_VERBS.join(" | ") },
      network: { type: "positional", required: true, description: "network name (the `name` in the conf dir)" },
      netns: { type: "positional", required: false, description: "netns path (add/check/del)" },
      ifname: { type: "string", description: "interface name (default: $CNI_IFNAME or eth0)" },
      "container-id": { type: "string", description: "container ID (default: cnitool's, derived from the netns path)" },
      "cap-args": { type: "string", valueHint: "JSON", description: "capability args, e.g. '{\"portMappings\":[…]}' (default: $CAP_ARGS)" },
      args: { type: "string", valueHint: "K=V;K=V", description: "CNI_ARGS (default: $CNI_ARGS)" },
      valid: { type: "string", valueHint: "CID:IFNAME", description: "gc: an attachment still in use (repeatable); none = all cached ones are stale" },
      "conf-dir": { type: "string", description: "conf dir (default: $NETCONFPATH or /etc/cni/net.d)" },
      "bin-dir": { type: "string", description: "plugin dir(s), colon-separated (default: $CNI_PATH or /opt/cni/bin)" },
      "cache-dir": { type: "string", description: "libcni cache dir; results go to <dir>/results (default: $TSCNI_CACHE_DIR or /var/lib/cni)" },
    },
    async run({ args, rawArgs }) {
      const valid = repeated(rawArgs, "valid");
      setExit(
        await runVerb({
          verb: args.verb,
          network: args.network,
          netns: args.netns ?? "",
          ifname: args.ifname,
          containerId: args["container-id"],
          capArgs: args["cap-args"],
          cniArgs: args.args,
          confDir: args["conf-dir"],
          binDir: args["bin-dir"],
          cacheDir: args["cache-dir"],
          valid: rawArgs.some((a) => a === "--valid" || a.startsWith("--valid=")) ? valid : undefined,
          env: process.env,
          out,
          err,
          isTty: process.stdout.isTTY === true,
        }),
      );
    },
  });

  const validate = defineCommand({
    meta: { name: "validate", description: "Check every config in a conf dir (or the given files) against each plugin's schema" },
    args: {
      "conf-dir": { type: "string", description: "conf dir (default: $NETCONFPATH or /etc/cni/net.d)" },
      json: { type: "boolean", description: "machine-readable output" },
    },
    async run({ args }) {
      const { validateCommand } = await import("./validate.ts");
      setExit(
        await validateCommand({
          confDir: args["conf-dir"],
          files: args._,
          json: args.json === true,
          env: process.env,
          validators: deps.validators ? await deps.validators() : {},
          out,
        }),
      );
    },
  });

  const doctor = defineCommand({
    meta: { name: "doctor", description: "What this node has and lacks for the configured networks" },
    args: {
      "conf-dir": { type: "string", description: "conf dir (default: $NETCONFPATH or /etc/cni/net.d)" },
      "bin-dir": { type: "string", description: "plugin dir(s) (default: $CNI_PATH or /opt/cni/bin)" },
      "cache-dir": { type: "string", description: "libcni cache dir (default: /var/lib/cni)" },
      json: { type: "boolean", description: "machine-readable output" },
    },
    async run({ args }) {
      const { doctorCommand } = await import("./doctor.ts");
      setExit(
        await doctorCommand({
          confDir: args["conf-dir"],
          binDir: args["bin-dir"],
          cacheDir: args["cache-dir"],
          json: args.json === true,
          env: process.env,
          validators: deps.validators ? await deps.validators() : {},
          out,
        }),
      );
    },
  });

  const gc = defineCommand({
    meta: { name: "gc", description: "Free host-local reservations and firewall rules of attachments that no longer exist (dry run unless --apply)" },
    args: {
      "conf-dir": { type: "string", description: "conf dir (default: $NETCONFPATH or /etc/cni/net.d)" },
      "bin-dir": { type: "string", description: "plugin dir(s), for DEL of stale cached attachments" },
      "cache-dir": { type: "string", description: "libcni cache dir (default: /var/lib/cni)" },
      valid: { type: "string", valueHint: "CID:IFNAME", description: "an attachment still in use (repeatable, or comma-separated)" },
      "from-netns-dir": { type: "string", valueHint: "DIR", description: "valid = cached attachments whose netns still exists (e.g. /run/netns)" },
      "grace-period": { type: "string", default: "600", description: "seconds: younger reservations are never freed" },
      apply: { type: "boolean", description: "actually free them (default: only print)" },
      json: { type: "boolean", description: "machine-readable output" },
    },
    async run({ args, rawArgs }) {
      const { gcCommand } = await import("./gc.ts");
      const { progressOn } = await import("./progress.ts");
      const validGiven = rawArgs.some((a) => a === "--valid" || a.startsWith("--valid="));
      setExit(
        await gcCommand({
          confDir: args["conf-dir"],
          binDir: args["bin-dir"],
          cacheDir: args["cache-dir"],
          valid: validGiven ? repeated(rawArgs, "valid") : undefined,
          fromNetnsDir: args["from-netns-dir"],
          graceSeconds: Number(args["grace-period"]),
          apply: args.apply === true,
          json: args.json === true,
          env: process.env,
          out,
          err,
          progress: progressOn(process.stderr),
        }),
      );
    },
  });

  return defineCommand({
    meta: { name: BINARY_NAME, version: buildVersion, description: "CNI plugins bridge, host-local, loopback and portmap in one binary" },
    subCommands: { version, plugin, install: installCmd, run, validate, doctor, gc },
  });
}

/** One readable line, plus the CNI code when there is one. */
export function describeError(e: unknown): string {
  if (e instanceof CniError) return `tscni: ${errorText(e)}${e.code !== 0 ? ` (CNI error code ${e.code})` : ""}`;
  return `tscni: ${e instanceof Error ? e.message : String(e)}`;
}

/** Runs the CLI with `argv` (without the program name) and returns the exit status. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let exit = 0;
  const main = commands(deps, (c) => {
    exit = c;
  });
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    const sub = argv.find((a) => !a.startsWith("-"));
    const subs = (main.subCommands ?? {}) as Record<string, Parameters<typeof renderUsage>[0]>;
    const cmd = sub !== undefined ? subs[sub] : undefined;
    console.log(await renderUsage(cmd ?? main, cmd ? main : undefined));
    return argv.length === 0 ? 1 : 0;
  }
  if (argv[0] === "--version") argv = ["version"];
  try {
    await runCommand(main, { rawArgs: argv });
  } catch (e) {
    console.error(describeError(e));
    return 1;
  }
  return exit;
}
