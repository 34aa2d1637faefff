/**
 * What every `tscni` command shares: the I/O it writes to, and one strict reading of its flags.
 * citty parses leniently (an unknown flag is silently kept); an operator's typo such as
 * `gc --aply` must stop the command before it changes anything, so each command checks its
 * argv against its own declaration first and collects repeated flags in the same pass.
 */
import type { ArgDef, ArgsDef, CommandDef, CommandMeta, ParsedArgs } from "citty";
import { defineCommand } from "citty";
import type { Env } from "./options.ts";
import type { PluginValidator } from "./validate.ts";

export interface CliDeps {
  /** The plugin names this binary answers to, from plugins/registry.ts (src never imports plugins/). */
  pluginNames: readonly string[];
  runPlugin(name: string): Promise<number>;
  /**
   * The plugins' config loaders, for `tscni validate` and `doctor` (src never imports plugins/):
   * plugin type → validator. Loaded only when a command needs them.
   */
  validators?: () => Promise<Readonly<Record<string, PluginValidator>>>;
}

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

/** A command line the command's declaration does not allow: exit status 2, nothing done. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Every value of every flag given, in order (citty keeps only the last of a repeated flag). */
export class FlagValues {
  constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}
  given(name: string): boolean {
    return this.values.has(name);
  }
  /** All values of a repeatable flag, comma-separated lists split; [] when not given. */
  list(name: string): string[] {
    return (this.values.get(name) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
  }
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function lookup(argsDef: ArgsDef, token: string): [string, ArgDef] | undefined {
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    if (name === token || kebab(name) === kebab(token) || aliases.includes(token)) return [name, def];
  }
  return undefined;
}

/**
 * Checks `rawArgs` (the tokens after the command's name) against the declaration and returns the
 * flag values. Throws UsageError for an unknown flag, a flag without its value, a boolean with a
 * value other than true/false, or more positionals than declared (unless `rest` allows them).
 */
export function scanArgs(rawArgs: readonly string[], argsDef: ArgsDef, rest = false): FlagValues {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const add = (name: string, v: string): void => void values.set(name, [...(values.get(name) ?? []), v]);
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i] ?? "";
    if (a === "--") {
      positionals.push(...rawArgs.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const token = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    let found = lookup(argsDef, token);
    if (found === undefined && token.startsWith("no-")) {
      const negated = lookup(argsDef, token.slice(3));
      if (negated?.[1].type === "boolean" && inline === undefined) found = negated;
    }
    if (found === undefined) throw new UsageError(`unknown flag ${a.startsWith("--") ? "--" : "-"}${token}`);
    const [name, def] = found;
    if (def.type === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false") throw new UsageError(`--${name} takes no value`);
      add(name, inline ?? (token.startsWith("no-") ? "false" : "true"));
      continue;
    }
    const v = inline ?? rawArgs[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value`);
    if (def.type === "enum" && def.options !== undefined && !def.options.includes(v)) {
      throw new UsageError(`--${name} must be one of ${def.options.join(", ")}`);
    }
    add(name, v);
  }
  const declared = Object.values(argsDef).filter((d) => d.type === "positional").length;
  if (!rest && positionals.length > declared) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[declared])}`);
  return new FlagValues(values);
}

export interface LeafDef<T extends ArgsDef> {
  meta: CommandMeta;
  args: T;
  /** Positionals beyond the declared ones are allowed (they land in `args._`). */
  rest?: boolean;
  /** Returns the exit status (0 when nothing is returned). */
  run(args: ParsedArgs<T>, flags: FlagValues): Promise<number | void> | number | void;
}

/**
 * A command that does something (as opposed to one that only groups subcommands). Its argument
 * types stay inside; what it returns is a plain command, as a parent's subcommand table wants.
 */
export function leafCommand<const T extends ArgsDef>(cli: Cli, def: LeafDef<T>): CommandDef {
  const cmd = defineCommand<T>({
    meta: def.meta,
    args: def.args,
    async run({ rawArgs, args }) {
      const flags = scanArgs(rawArgs, def.args, def.rest === true);
      cli.setExit((await def.run(args, flags)) ?? 0);
    },
  });
  return cmd as unknown as CommandDef;
}
