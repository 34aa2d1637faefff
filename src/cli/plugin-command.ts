import { type Cli, leafCommand } from "./command.ts";

const PLUGINS = ["bridge", "host-local", "loopback", "portmap"] as const;

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "plugin", description: "Run a plugin explicitly (same CNI env/stdin protocol as its link)" },
    args: { name: { type: "positional", required: true, description: PLUGINS.join(" | ") } },
    run: async ({ name }) => await cli.deps.runPlugin(name),
  });
