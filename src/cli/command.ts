/**
 * What every `tscni` command shares: the I/O it writes to, and how a command that does something
 * is declared: a citty command with its args (so citty renders its help), run with the args of
 * the one strict reading of its argv (command-line.ts).
 */
import type { ArgsDef, CommandDef, CommandMeta, ParsedArgs, SubCommandsDef } from "citty";
import { defineCommand } from "citty";
import { type CommandLine, scanArgs, typedArgs, UsageError } from "./command-line.ts";
import type { Env } from "./options.ts";
import type { PluginLookup } from "../container/index.ts";

export interface CliDeps {
  /** The plugin names this binary answers to, from plugins/registry.ts (src never imports plugins/). */
  pluginNames: readonly string[];
  runPlugin(name: string): Promise<number>;
  /**
   * The registry's entries by plugin type (src never imports plugins/): how validate, doctor and
   * gc check and describe a config. Each plugin is loaded only when a config uses it.
   */
  registry?: PluginLookup;
}

/** For a CLI built without the registry (tests, the agent): no plugin is tscni's. */
export const noPlugins: PluginLookup = async () => undefined;

/** The process around a command, injected so tests run commands in-process. */
export interface Cli {
  deps: CliDeps;
  env: Env;
  out(text: string): void;
  err(text: string): void;
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  stderrColumns?: number;
  /** The exit status of the command that ran (citty hands a subcommand's return value to nobody). */
  setExit(code: number): void;
}

export interface LeafDef<T extends ArgsDef> {
  meta: CommandMeta;
  args: T;
  /** Positionals beyond the declared ones are allowed (they land in `args._`). */
  rest?: boolean;
  /** Returns the exit status (0 when nothing is returned). */
  run(args: ParsedArgs<T>, line: CommandLine): Promise<number | void> | number | void;
}

/**
 * A command that does something (as opposed to one that only groups subcommands). Its argument
 * types stay inside; what it returns is a plain command, as a parent's subcommand table wants.
 */
export function leafCommand<const T extends ArgsDef>(cli: Cli, def: LeafDef<T>): CommandDef {
  const cmd = defineCommand<T>({
    meta: def.meta,
    args: def.args,
    async run({ rawArgs }) {
      const line = scanArgs(rawArgs, def.args, def.rest === true);
      cli.setExit((await def.run(typedArgs(def.args, line), line)) ?? 0);
    },
  });
  return cmd as unknown as CommandDef;
}

/**
 * A command that only groups subcommands. It takes no flags of its own (citty would skip an
 * unknown one in front of the subcommand's name and run the subcommand anyway).
 */
export function groupCommand(def: { meta: CommandMeta; subCommands: SubCommandsDef }): CommandDef {
  return defineCommand({
    ...def,
    setup({ rawArgs }) {
      const first = rawArgs[0];
      if (first !== undefined && first.startsWith("-") && first !== "-" && first !== "--") throw new UsageError(`unknown flag ${first.split("=")[0]}`);
    },
  });
}
