import { type Cli, leafCommand } from "./command.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "validate", description: "Check every config a runtime would load (the conf dir, or the files given) with each plugin's own loader" },
    args: {
      files: { type: "positional", required: false, description: "config files to check (default: every file in the conf dir)" },
      "conf-dir": { type: "string", description: "conf dir (default: $NETCONFPATH or /etc/cni/net.d)" },
      json: { type: "boolean", description: "machine-readable output" },
    },
    rest: true,
    async run(args) {
      const { validateCommand } = await import("./validate.ts");
      return await validateCommand({
        confDir: args["conf-dir"],
        files: args._,
        json: args.json === true,
        env: cli.env,
        validators: cli.deps.validators ? await cli.deps.validators() : {},
        out: cli.out,
      });
    },
  });
