import { dirArgs } from "./options.ts";
import { type Cli, leafCommand, noPlugins } from "./command.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "doctor", description: "Preflight checks: what this node has and lacks for the configured networks" },
    args: {
      ...dirArgs,
      "netns-dir": { type: "string", valueHint: "DIR", description: "where the runtime keeps pod netns files, to tell live pods (default: /run/netns)" },
      json: { type: "boolean", description: "machine-readable output" },
    },
    async run(args) {
      const { doctorCommand } = await import("./actions.ts");
      return await doctorCommand({
        confDir: args["conf-dir"],
        binDir: args["bin-dir"],
        cacheDir: args["cache-dir"],
        netnsDir: args["netns-dir"],
        json: args.json === true,
        env: cli.env,
        pluginNames: cli.deps.pluginNames,
        registry: cli.deps.registry ?? noPlugins,
        out: cli.out,
      });
    },
  });
