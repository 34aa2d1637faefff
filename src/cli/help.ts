/**
 * Usage text from citty's own renderer, for the command a command line names. citty decides on
 * colours once, from the environment; whether a terminal reads the text is only known here, so
 * escape sequences are removed for anything else (a pipe, a file, a pager without -R).
 */
import { type ArgsDef, type CommandDef, renderUsage } from "citty";

// biome-ignore lint: the escape character is the point
const ANSI = /\x1b\[[0-9;]*m/g;
export const plain = (text: string): string => text.replace(ANSI, "");

type AnyCommand = CommandDef<ArgsDef>;

async function resolved<T>(v: T | Promise<T> | (() => T | Promise<T>) | undefined): Promise<T | undefined> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

/** The deepest command `argv` names, with its full name ("tscni run add"). Flags are skipped. */
export async function commandAt(root: AnyCommand, argv: readonly string[]): Promise<{ cmd: AnyCommand; path: string[] }> {
  let cmd = root;
  const path = [(await resolved(root.meta))?.name ?? "tscni"];
  for (const token of argv) {
    if (token === "--") break;
    if (token.startsWith("-")) continue;
    const subs = await resolved(cmd.subCommands);
    const next = subs?.[token];
    if (next === undefined) break;
    const sub = (await resolved(next)) as AnyCommand | undefined;
    if (sub === undefined) break;
    cmd = sub;
    path.push(token);
  }
  return { cmd, path };
}

export async function usage(root: AnyCommand, argv: readonly string[], colour: boolean): Promise<string> {
  const { cmd, path } = await commandAt(root, argv);
  const rootMeta = await resolved(root.meta);
  const parent: AnyCommand | undefined =
    path.length > 1 ? { meta: { name: path.slice(0, -1).join(" "), version: rootMeta?.version } } : undefined;
  // citty pads every column to its widest cell; trailing blanks only get in the way of diff and grep.
  const text = `${(await renderUsage(cmd, parent)).replace(/ +$/gm, "")}\n`;
  return colour ? text : plain(text);
}
