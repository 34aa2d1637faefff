/**
 * The one reading of a command's argv. citty parses leniently (an unknown flag is silently kept,
 * a repeated flag keeps only its last value, `--no-x` wins wherever it stands); an operator's typo
 * such as `gc --aply` must stop the command before it changes anything. So every command's argv
 * is read here once, against the command's own citty declaration: unknown or malformed flags are a
 * UsageError, and the typed args a command runs with, and every value of a repeatable flag, come
 * from this one pass.
 */
import type { ArgDef, ArgsDef, ParsedArgs } from "citty";

/** A command line the command's declaration does not allow: exit status 2, nothing done. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Every value of every flag given, in order, and the positionals. */
export class CommandLine {
  constructor(
    private readonly values: ReadonlyMap<string, readonly string[]>,
    readonly positionals: readonly string[],
  ) {}
  given(name: string): boolean {
    return this.values.has(name);
  }
  /** The value that counts for a single-valued flag: the last one given. */
  last(name: string): string | undefined {
    return this.values.get(name)?.at(-1);
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

/** What `--flag=<word>` may say for a boolean (`--chain-mode=off` reads as the operator would). */
const BOOLEAN_WORDS: Readonly<Record<string, string>> = { true: "true", false: "false", on: "true", off: "false" };

/**
 * Reads `rawArgs` (the tokens after the command's name) against the declaration. Throws
 * UsageError for an unknown flag, a flag without its value, a boolean with a value other than
 * true/false, an enum value not offered, or more positionals than declared (unless `rest`).
 */
export function scanArgs(rawArgs: readonly string[], argsDef: ArgsDef, rest = false): CommandLine {
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
      if (inline !== undefined && !Object.hasOwn(BOOLEAN_WORDS, inline)) throw new UsageError(`--${name} takes no value`);
      add(name, inline === undefined ? (token.startsWith("no-") ? "false" : "true") : (BOOLEAN_WORDS[inline] ?? "true"));
      continue;
    }
    const v = inline ?? rawArgs[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value`);
    if (def.type === "enum" && def.options !== undefined && !def.options.includes(v)) {
      throw new UsageError(`--${name} must be one of ${def.options.join(", ")}`);
    }
    add(name, v);
  }
  const declared = Object.values(argsDef).filter((d) => d.type === "positional");
  if (!rest && positionals.length > declared.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[declared.length])}`);
  return new CommandLine(values, positionals);
}

/**
 * The typed args of a command, from its one reading: each flag's last value (or its declared
 * default), positionals in declaration order, and all positionals in `_`, as citty shapes them.
 */
export function typedArgs<T extends ArgsDef>(argsDef: T, line: CommandLine): ParsedArgs<T> {
  const out: Record<string, unknown> = { _: [...line.positionals] };
  let next = 0;
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === "positional") {
      const v = line.positionals[next++] ?? def.default;
      if (v === undefined && def.required !== false) throw new UsageError(`missing argument <${name.toUpperCase()}>`);
      out[name] = v;
      continue;
    }
    const v = line.last(name);
    out[name] = def.type === "boolean" ? (v === undefined ? def.default : v === "true") : (v ?? def.default);
  }
  return out as ParsedArgs<T>;
}
