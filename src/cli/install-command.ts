import { removeDefaultConflist, writeDefaultConflist } from "./default-conflist.ts";
import { type Cli, leafCommand } from "./command.ts";
import { BINARY_NAME, install, stamp, uninstall, verifyInstalled } from "./install.ts";

const PLUGINS = ["bridge", "host-local", "loopback", "portmap"] as const;

export default (cli: Cli) =>
  leafCommand(cli, {
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
    async run(args, flags) {
      const log = (l: string): void => cli.out(`${l}\n`);
      const dryRun = args["dry-run"] === true;
      const cidrs = flags.list("default-network");
      const confDir = args["conf-dir"];
      if (cidrs.length > 0 && (confDir === undefined || confDir === "")) throw new Error("--default-network needs --conf-dir");
      if (args.uninstall === true) {
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
