import { type Cli, leafCommand } from "./command.ts";
import { UsageError } from "./command-line.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "plugin", description: "Run a plugin explicitly (same CNI env/stdin protocol as its link)" },
    args: { name: { type: "positional", required: true, description: cli.deps.pluginNames.join(" | ") } },
    run: async ({ name }) => {
      // Refused here, where the message reaches stderr before the process exits.
      if (!cli.deps.pluginNames.includes(name)) throw new UsageError(`unknown plugin ${JSON.stringify(name)} (this binary runs ${cli.deps.pluginNames.join(", ")})`);
      return await cli.deps.runPlugin(name);
    },
  });
