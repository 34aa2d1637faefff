/**
 * The CNI_* environment, read and validated the way the reference skel does, because runtimes
 * see the resulting codes and messages: one ordered table, all missing variables reported together, the first invalid one alone.
 */
import { isJsSpace, utf8Length } from "./chars.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { isValidName } from "./names.ts";
import type { CmdArgs, Env } from "./plugin.ts";

type Need = "ADD" | "DEL" | "CHECK" | "GC" | "STATUS";

interface EnvVar {
  name: string;
  requiredFor: readonly Need[];
  validate?: (value: string) => void;
}

export function validateContainerId(id: string): void {
  if (!isValidName(id)) throw new CniError(ErrorCode.InvalidEnvironment, "invalid characters in containerID", id);
}

/** Linux interface names: 1-15 bytes, not . or .., no / : or whitespace. */
export function validateIfName(name: string): void {
  if (name === "") throw new CniError(ErrorCode.InvalidEnvironment, "interface name is empty");
  if (utf8Length(name) > 15) {
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      "interface name is too long",
      "interface name should be less than 16 characters",
    );
  }
  if (name === "." || name === "..") throw new CniError(ErrorCode.InvalidEnvironment, "interface name is . or ..");
  if (hasSlashColonOrSpace(name)) {
    throw new CniError(ErrorCode.InvalidEnvironment, "interface name contains / or : or whitespace characters");
  }
}

/** `/[/:\s\u0085…]/u.test(name)` by hand (chars.ts says why; no class member is astral). */
function hasSlashColonOrSpace(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f || c === 0x3a || isJsSpace(c) || c === 0x85) return true;
  }
  return false;
}

const TABLE: readonly EnvVar[] = [
  { name: "CNI_CONTAINERID", requiredFor: ["ADD", "CHECK", "DEL"], validate: validateContainerId },
  { name: "CNI_NETNS", requiredFor: ["ADD", "CHECK"] },
  { name: "CNI_IFNAME", requiredFor: ["ADD", "CHECK", "DEL"], validate: validateIfName },
  { name: "CNI_ARGS", requiredFor: [] },
  // The spec makes CNI_PATH optional for ADD/DEL/CHECK; the reference requires it, and so do we.
  { name: "CNI_PATH", requiredFor: ["ADD", "CHECK", "DEL", "GC", "STATUS"] },
];

/** The CNI_* variables: CmdArgs' env-borne fields, before the command is known to be a verb. */
export type CniEnv = Pick<CmdArgs, "containerId" | "netns" | "ifname" | "args" | "path"> & {
  command: string;
  netnsOverride: boolean;
};

/** Reads and validates the env for `command` (already known non-empty). */
export function readCniEnv(env: Env, command: string): CniEnv {
  const missing: string[] = [];
  for (const spec of TABLE) {
    const value = env[spec.name] ?? "";
    const required = (spec.requiredFor as readonly string[]).includes(command);
    if (!required) continue;
    if (value === "") missing.push(spec.name);
    else spec.validate?.(value);
  }
  if (missing.length > 0) {
    throw new CniError(ErrorCode.InvalidEnvironment, `required env variables [${missing.join(",")}] missing`);
  }
  const override = (env.CNI_NETNS_OVERRIDE ?? "").toLowerCase();
  return {
    command,
    containerId: env.CNI_CONTAINERID ?? "",
    netns: env.CNI_NETNS ?? "",
    ifname: env.CNI_IFNAME ?? "",
    args: env.CNI_ARGS ?? "",
    path: env.CNI_PATH ?? "",
    netnsOverride: override === "1" || override === "true",
  };
}
