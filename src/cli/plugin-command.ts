import { type Cli, leafCommand } from "./command.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "plugin", description: "Run a plugin explicitly (same CNI env/stdin protocol as its link)" },
    args: { name: { type: "positional", required: true, description: cli.deps.pluginNames.join(" | ") } },
    run: async ({ name }) => await cli.deps.runPlugin(name),
  });
