import type { Result } from "./result.ts";

/** The verbs a plugin implements; VERSION is answered by the dispatcher itself. */
export type Verb = "ADD" | "DEL" | "CHECK" | "GC" | "STATUS";

export type Env = Readonly<Record<string, string | undefined>>;

/** What the dispatcher hands a plugin once env, stdin and the version gate have passed. */
export interface CmdArgs {
  command: Verb;
  containerId: string;
  netns: string;
  ifname: string;
  /** Raw CNI_ARGS; each plugin parses the keys it knows. */
  args: string;
  path: string;
  /** The exact stdin bytes, passed on unchanged to delegated IPAM plugins. */
  stdin: Uint8Array;
  /** stdin parsed as JSON (an object: the dispatcher checked). */
  config: Record<string, unknown>;
  /** The config's cniVersion as given ("" when absent). */
  cniVersion: string;
  env: Env;
}

export interface PluginDef {
  name: string;
  add(args: CmdArgs): Promise<Result>;
  del(args: CmdArgs): Promise<void>;
  check(args: CmdArgs): Promise<void>;
  /** Absent: GC succeeds after the version gate, like the reference. */
  gc?(args: CmdArgs): Promise<void>;
  /** Absent: STATUS succeeds after the version gate, like the reference. */
  status?(args: CmdArgs): Promise<void>;
}
