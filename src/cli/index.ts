/**
 * The suite's own CLI (when the binary runs as `tscni`). citty never handles the plugin path:
 * there stdout must hold exactly one CNI JSON document.
 *
 * Each command lives in its own `<name>-command.ts` with its arguments (small, loaded with this
 * file) and loads what it runs from `actions.ts`, the CLI's one lazily loaded module. Exit
 * status: 0 done, 1 failed, 2 the command line itself is wrong (unknown command or flag, missing
 * argument) — then nothing was done.
 */
import { type CommandDef, runCommand } from "citty";
import { buildVersion } from "../build-info.ts";
import { type Cli, type CliDeps, groupCommand } from "./command.ts";
import { UsageError } from "./command-line.ts";
import { commandAt, plain, usage } from "./help.ts";
import { printErr, printOut } from "./terminal.ts";
import agentCmd from "./agent-command.ts";
import doctorCmd from "./doctor-command.ts";
import gcCmd from "./gc-command.ts";
import helpCmd from "./help-command.ts";
import installCmd from "./install-command.ts";
import logCmd from "./log-command.ts";
import metricsCmd from "./metrics-command.ts";
import pluginCmd from "./plugin-command.ts";
import runCmd from "./run-command.ts";
import validateCmd from "./validate-command.ts";
import versionCmd from "./version-command.ts";

export type { CliDeps } from "./command.ts";

export type Io = Omit<Cli, "deps" | "setExit">;

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
  const lazy = (make: (cli: Cli) => CommandDef) => () => make(cli);
  const names = cli.deps.pluginNames;
  const plugins = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names.join("");
  const root: CommandDef = groupCommand({
    meta: { name: "tscni", version: buildVersion, description: `CNI plugins ${plugins} in one binary` },
    subCommands: {
      version: lazy(versionCmd),
      plugin: lazy(pluginCmd),
      install: lazy(installCmd),
      run: lazy(runCmd),
      validate: lazy(validateCmd),
      doctor: lazy(doctorCmd),
      gc: lazy(gcCmd),
      log: lazy(logCmd),
      agent: lazy(agentCmd),
      metrics: lazy(metricsCmd),
      help: () => helpCmd(cli, root),
    },
  });
  return root;
}

/** One readable line, plus the CNI code when there is one. */
async function describeError(e: unknown): Promise<string> {
  const { CniError, errorText } = await import("./actions.ts");
  if (!(e instanceof CniError)) return `tscni: ${e instanceof Error ? e.message : String(e)}`;
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
