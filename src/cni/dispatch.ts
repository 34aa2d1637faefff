/**
 * env + stdin → one plugin verb → one JSON document on stdout. I/O is injected so the whole
 * protocol runs in-process in unit tests. Order of checks follows the reference skel (§1.3).
 */
import { readCniEnv } from "./env.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { goField, goJsonKind, goJsonParse, goMarshalIndent } from "./go-json.ts";
import { goJsonSyntaxError, MAX_NESTING_DEPTH } from "./go-json-syntax.ts";
import type { CmdArgs, Env, PluginDef, Verb } from "./plugin.ts";
import { resultToWire } from "./wire.ts";
import { isLabelOnly } from "./label.ts";
import { passedThrough } from "./pass-through.ts";
import { isValidName } from "./names.ts";
import { CURRENT_VERSION, gateVersion, SUPPORTED_VERSIONS, versionDocument } from "./version.ts";
import { enterDelegate, leaveDelegate, mark } from "../profile.ts";

export interface DispatchIo {
  env: Env;
  readStdin(): Promise<Uint8Array>;
  /** Resolves once every byte is written (the caller exits right after). */
  writeStdout(text: string): void | Promise<void>;
  writeStderr(text: string): void | Promise<void>;
  /**
   * Whether `path` is the plugin's own network namespace: undefined when it cannot be opened
   * (the check is then skipped, like the reference). Throws a CniError when our own is unreadable.
   */
  isOwnNetns(path: string): boolean | undefined;
  /** Called once per finished call, for the opt-in log. */
  onFinish?(outcome: { command: string; args?: CmdArgs; error?: CniError; output?: string }): void | Promise<void>;
}

export interface PluginEntry {
  name: string;
  buildVersion: string;
  load(): Promise<PluginDef>;
}

const VERBS: readonly string[] = ["ADD", "DEL", "CHECK", "GC", "STATUS"];

export function aboutText(entry: PluginEntry): string {
  return `CNI ${entry.name} plugin ${entry.buildVersion}\nCNI protocol versions supported: ${SUPPORTED_VERSIONS.join(", ")}\n`;
}

/**
 * The document, or Go's syntax error (code 6). JSON.parse first: below Go's nesting limit in
 * bytes and without a leading BOM (which TextDecoder would drop and Go refuses) it accepts exactly
 * what Go's scanner accepts, and running that scanner (interpreted JS, per byte) on every
 * well-formed config cost each exec more than the parse (docs/performance.md). It runs only to
 * word a refusal, or for the documents JSON.parse cannot judge alone.
 */
export function parseConfigJson(bytes: Uint8Array): unknown {
  const judgedByParse = bytes.length <= MAX_NESTING_DEPTH && bytes[0] !== 0xef;
  if (judgedByParse) {
    try {
      return goJsonParse(new TextDecoder().decode(bytes));
    } catch (err) {
      const syntax = goJsonSyntaxError(bytes);
      if (syntax !== undefined) throw new CniError(ErrorCode.DecodingFailure, `error unmarshall network config: ${syntax}`);
      throw err;
    }
  }
  const syntax = goJsonSyntaxError(bytes);
  if (syntax !== undefined) throw new CniError(ErrorCode.DecodingFailure, `error unmarshall network config: ${syntax}`);
  return goJsonParse(new TextDecoder().decode(bytes));
}

/** skel's pre-validation: decodes `{name}` from stdin (codes 6 and 7). */
export function decodeNetworkConfig(bytes: Uint8Array): Record<string, unknown> {
  const parsed: unknown = parseConfigJson(bytes);
  if (parsed === null) throw new CniError(ErrorCode.InvalidNetworkConfig, "missing network name");
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `error unmarshall network config: json: cannot unmarshal ${goJsonKind(parsed)} into Go value of type struct { Name string "json:\\"name\\"" }`,
    );
  }
  const config = parsed as Record<string, unknown>;
  const name = goField(config, "name");
  if (name !== undefined && name !== null && typeof name !== "string") {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `error unmarshall network config: json: cannot unmarshal ${goJsonKind(name)} into Go struct field .name of type string`,
    );
  }
  if (name === undefined || name === null || name === "") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "missing network name");
  }
  if (!isValidName(name)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", name);
  }
  return config;
}

export function configVersion(config: Record<string, unknown>): string {
  const v = goField(config, "cniVersion");
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `decoding version from network config: json: cannot unmarshal ${goJsonKind(v)} into Go struct field .cniVersion of type string`,
    );
  }
  return v;
}

async function readStdin(io: DispatchIo): Promise<Uint8Array> {
  try {
    return await io.readStdin();
  } catch (err) {
    throw new CniError(ErrorCode.IoFailure, `error reading from stdin: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// In-process delegates (chain → bridge → host-local) re-enter dispatch; the profile charges
// their phases to them, under their own name, and the caller's work around them to the caller.
let depth = 0;

/** Runs one plugin call end to end and returns the process exit status. */
export async function dispatch(entry: PluginEntry, io: DispatchIo): Promise<number> {
  const caller = depth > 0 ? enterDelegate(entry.name) : undefined;
  depth++;
  try {
    return await dispatchCall(entry, io);
  } finally {
    depth--;
    if (caller !== undefined) leaveDelegate(caller);
  }
}

async function dispatchCall(entry: PluginEntry, io: DispatchIo): Promise<number> {
  const command = io.env.CNI_COMMAND ?? "";
  if (command === "") {
    await io.writeStderr(aboutText(entry));
    return 0;
  }
  let args: CmdArgs | undefined;
  try {
    const env = readCniEnv(io.env, command);
    if (command === "VERSION") {
      await io.writeStdout(versionDocument());
      mark("output");
      return 0;
    }
    const stdin = await readStdin(io);
    mark("stdin");
    const config = decodeNetworkConfig(stdin);
    if (!VERBS.includes(command)) throw new CniError(ErrorCode.InvalidEnvironment, `unknown CNI_COMMAND: ${command}`);
    const cniVersion = configVersion(config);
    gateVersion(command, cniVersion);
    args = { ...env, command: command as Verb, stdin, config, cniVersion, env: io.env };
    if ((command === "ADD" || command === "DEL") && args.netns !== "" && !env.netnsOverride) {
      // The reference checks this after acting; refusing first leaves nothing to undo.
      if (io.isOwnNetns(args.netns) === true) {
        throw new CniError(ErrorCode.InvalidNetns, "plugin's netns and netns from CNI_NETNS should not be the same");
      }
    }
    mark("decode");
    const plugin = await entry.load();
    mark("load");
    const output = await runVerb(plugin, args);
    mark("verb");
    if (output !== undefined) await io.writeStdout(output);
    mark("output");
    await io.onFinish?.({ command, args, output });
    return 0;
  } catch (err) {
    const error = CniError.from(err);
    await io.writeStdout(goMarshalIndent(error.toJSON()));
    mark("output");
    await io.onFinish?.({ command, args, error });
    return 1;
  }
}

async function runVerb(plugin: PluginDef, args: CmdArgs): Promise<string | undefined> {
  switch (args.command) {
    case "ADD": {
      const result = await plugin.add(args);
      const handedOn = passedThrough(result);
      if (handedOn !== undefined) return goMarshalIndent(handedOn);
      const labelled = isLabelOnly(result) && args.cniVersion !== "";
      const wire = resultToWire(result, labelled ? CURRENT_VERSION : args.cniVersion);
      if (labelled) wire.cniVersion = args.cniVersion;
      return goMarshalIndent(wire);
    }
    case "DEL":
      await plugin.del(args);
      return undefined;
    case "CHECK":
      await plugin.check(args);
      return undefined;
    case "GC":
      await plugin.gc?.(args);
      return undefined;
    case "STATUS":
      await plugin.status?.(args);
      return undefined;
  }
}
