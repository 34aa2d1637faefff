/**
 * `tscni install`'s command line (the work is in install-run.ts, loaded when it runs). Booleans
 * also take `--force=true|false`, so a Kubernetes manifest can pass `--force=$(REPLACE_FOREIGN)`
 * from a ConfigMap.
 */
import { type Cli, leafCommand, noPlugins } from "./command.ts";
import { DEFAULT_BRIDGE_NAME } from "./default-conflist.ts";

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
      bridge: { type: "string", default: DEFAULT_BRIDGE_NAME, description: "bridge of the default network" },
      force: { type: "boolean", description: "replace foreign plugin files (kept in <dir>/.tscni/backup) and a different default conflist" },
      "dry-run": { type: "boolean", description: "print what would be done, change nothing" },
      uninstall: { type: "boolean", description: "put back what install replaced and remove only what it created" },
      rollback: { type: "boolean", description: "return to the binary installed before the last upgrade" },
      "chain-mode": { type: "boolean", description: "rewrite --conf-dir's conflists (or --network-name's) so one tscni-chain exec serves each pod; =off: back (a dry run unless --apply)" },
      apply: { type: "boolean", description: "with --chain-mode: write the rewrite (originals kept beside)" },
    },
    async run(args, line) {
      if (line.given("chain-mode")) {
        const { chainModeCommand } = await import("./actions.ts");
        const suffix = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
        const network = line.given("network-name") ? args["network-name"] : "";
        const common = { confDir: args["conf-dir"] ?? "/etc/cni/net.d", binDir: args.dir, network, apply: args.apply === true, plugins: cli.deps.pluginNames, suffix, out: cli.out };
        return await chainModeCommand({ ...common, on: args["chain-mode"] === true });
      }
      const { installCommand } = await import("./actions.ts");
      await installCommand({
        dir: args.dir,
        confDir: args["conf-dir"] ?? "",
        cidrs: line.list("default-network"),
        networkName: args["network-name"],
        bridge: args.bridge,
        force: args.force === true,
        dryRun: args["dry-run"] === true,
        uninstall: args.uninstall === true,
        rollback: args.rollback === true,
        plugins: cli.deps.pluginNames,
        env: cli.env,
        registry: cli.deps.registry ?? noPlugins,
        out: cli.out,
        err: cli.err,
      });
    },
  });
