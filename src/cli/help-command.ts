import type { CommandDef } from "citty";
import { type Cli, leafCommand } from "./command.ts";
import { UsageError } from "./command-line.ts";
import { commandAt, usage } from "./help.ts";

/** `tscni help [COMMAND…]`: the usage citty renders for `root` or one of its commands. */
export default (cli: Cli, root: CommandDef) =>
  leafCommand(cli, {
    meta: { name: "help", description: "Show the usage of tscni or of a command (tscni help run add)" },
    args: { command: { type: "positional", required: false, description: "command to describe" } },
    rest: true,
    async run(args) {
      const { path } = await commandAt(root, args._);
      if (path.length - 1 < args._.length) throw new UsageError(`unknown command ${JSON.stringify(args._.join(" "))}`);
      cli.out(await usage(root, args._, cli.stdoutIsTty));
    },
  });
