import { type Cli, leafCommand, noPlugins } from "./command.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "validate", description: "Check every config a runtime would load (the conf dir, or the files given) with each plugin's own loader" },
    args: {
      files: { type: "positional", required: false, description: "config files to check, e.g. tscni validate ./10-net.conflist (default: every file in the conf dir)" },
      "conf-dir": {
        type: "string",
        description: "conf dir; repeat it for each runtime's dir (podman, containerd) to find networks they share (default: $NETCONFPATH or /etc/cni/net.d)",
      },
      "bin-dir": { type: "string", description: "plugin dir(s), colon-separated, searched like a runtime does (default: $CNI_PATH or /opt/cni/bin)" },
      json: { type: "boolean", description: "machine-readable output" },
    },
    rest: true,
    async run(args, line) {
      const { validateCommand } = await import("./actions.ts");
      return await validateCommand({
        confDirs: line.list("conf-dir"),
        binDir: args["bin-dir"],
        files: args._,
        json: args.json === true,
        env: cli.env,
        registry: cli.deps.registry ?? noPlugins,
        out: cli.out,
      });
    },
  });
