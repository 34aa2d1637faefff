/**
 * The suite's own CLI (when the binary runs as `tscni`). citty never handles the plugin path:
 * there stdout must hold exactly one CNI JSON document.
 *
 * Each command lives in its own `<name>-command.ts` with its arguments and is loaded only when
 * it runs (or when help lists it). Exit status: 0 done, 1 failed, 2 the command line itself is
 * wrong (unknown command or flag, missing argument) — then nothing was done.
 */
import { type CommandDef, runCommand } from "citty";
import { buildVersion } from "../build-info.ts";
import { type Cli, type CliDeps, groupCommand } from "./command.ts";
import { UsageError } from "./command-line.ts";
import { commandAt, plain, usage } from "./help.ts";
import { printErr, printOut } from "./terminal.ts";

export type { CliDeps } from "./command.ts";

export type Io = Omit<Cli, "deps" | "setExit">;
type CommandModule = { default: (cli: Cli) => CommandDef };

function processIo(): Io {
  return {
    env: process.env,
    out: printOut,
    err: printErr,
    stdoutIsTty: process.stdout.isTTY === true,
    stderrIsTty: process.stderr.isTTY === true,
    stderrColumns: process.stderr.columns,
  };
}

/** The command tree (exported for the tests that walk every command). */
export function rootCommand(cli: Cli): CommandDef {
  const lazy = (load: () => Promise<CommandModule>) => async () => (await load()).default(cli);
  const names = cli.deps.pluginNames;
  const plugins = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names.join("");
  const root: CommandDef = groupCommand({
    meta: { name: "tscni", version: buildVersion, description: `CNI plugins ${plugins} in one binary` },
    subCommands: {
      version: lazy(() => import("./version-command.ts")),
      plugin: lazy(() => import("./plugin-command.ts")),
      install: lazy(() => import("./install-command.ts")),
      run: lazy(() => import("./run-command.ts")),
      validate: lazy(() => import("./validate-command.ts")),
      doctor: lazy(() => import("./doctor-command.ts")),
      gc: lazy(() => import("./gc-command.ts")),
      log: lazy(() => import("./log-command.ts")),
      agent: lazy(() => import("./agent-command.ts")),
      metrics: lazy(() => import("./metrics-command.ts")),
      help: async () => (await import("./help-command.ts")).default(cli, root),
    },
  });
  return root;
}

/** One readable line, plus the CNI code when there is one. */
async function describeError(e: unknown): Promise<string> {
  const { CniError } = await import("../cni/index.ts");
  if (!(e instanceof CniError)) return `tscni: ${e instanceof Error ? e.message : String(e)}`;
  const { errorText } = await import("../runtime/index.ts");
  return `tscni: ${errorText(e)}${e.code !== 0 ? ` (CNI error code ${e.code})` : ""}`;
}

const isCittyUsageError = (e: unknown): e is Error => e instanceof Error && e.name === "CLIError";

/** citty says "Unknown command x"; every other usage line is lower-case with the word quoted. */
function usageText(e: Error): string {
  const text = plain(e.message);
  const unknown = /^Unknown command (.*)$/.exec(text);
  return unknown === null ? text : `unknown command ${JSON.stringify(unknown[1])}`;
}

/** Runs the CLI with `argv` (without the program name) and returns the exit status. */
export async function runCli(argv: string[], deps: CliDeps, io: Io = processIo()): Promise<number> {
  let exit = 0;
  const cli: Cli = { ...io, deps, setExit: (c) => void (exit = c) };
  const root = rootCommand(cli);
  const beforeDashes = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  if (argv.length === 0) {
    io.err(await usage(root, [], io.stderrIsTty));
    return 2;
  }
  if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
    io.out(await usage(root, argv, io.stdoutIsTty));
    return 0;
  }
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) argv = ["version"];
  try {
    await runCommand(root, { rawArgs: argv });
  } catch (e) {
    if (isCittyUsageError(e) && "code" in e && e.code === "E_NO_COMMAND") {
      io.err(await usage(root, argv, io.stderrIsTty));
      return 2;
    }
    if (e instanceof UsageError || isCittyUsageError(e)) {
      const { path } = await commandAt(root, argv);
      io.err(`tscni: ${usageText(e)}\nRun '${path.join(" ")} --help' for usage.\n`);
      return 2;
    }
    io.err(`${await describeError(e)}\n`);
    return 1;
  }
  return exit;
}
