/**
 * One member of a list failing, kept apart from how it is reported: libcni's list verbs wrap it
 * ("plugin type=… failed (add): …"), chain mode (plugins/tscni-chain) hands it on unwrapped.
 */
import { CniError } from "../cni/index.ts";
import type { PluginConf } from "./conf.ts";
import { errorText } from "./exec.ts";

export type Verb = "add" | "check" | "delete" | "gc" | "status";

function describe(p: PluginConf): string {
  return `type=${JSON.stringify(p.type)}${p.name !== "" ? ` name=${JSON.stringify(p.name)}` : ""}`;
}

/** A member of a list failed: the plugin and its own error, unwrapped. */
export class MemberFailure extends Error {
  override readonly name = "MemberFailure";
  constructor(
    readonly plugin: PluginConf,
    readonly verb: Verb,
    readonly error: CniError,
  ) {
    super(errorText(error));
  }
}

export async function member<T>(p: PluginConf, verb: Verb, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const inner = err instanceof CniError ? err : new CniError(0, err instanceof Error ? err.message : String(err));
    throw new MemberFailure(p, verb, inner);
  }
}

/** libcni's "plugin <desc> failed (<verb>): <err>", keeping the plugin's CNI code. */
export function wrapped(err: unknown): unknown {
  if (!(err instanceof MemberFailure)) return err;
  return new CniError(err.error.code, `plugin ${describe(err.plugin)} failed (${err.verb}): ${err.message}`);
}
