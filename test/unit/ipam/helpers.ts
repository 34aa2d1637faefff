import type { CmdArgs, Verb } from "../../../src/cni/index.ts";

/** CmdArgs as the dispatcher would build them, for in-process verb tests. */
export function cmdArgs(command: Verb, config: Record<string, unknown>, over: Partial<CmdArgs> = {}): CmdArgs {
  const text = JSON.stringify(config);
  return {
    command,
    containerId: "ctr1",
    netns: "/proc/1/ns/net",
    ifname: "eth0",
    args: "",
    path: "/opt/cni/bin",
    stdin: new TextEncoder().encode(text),
    config,
    cniVersion: typeof config.cniVersion === "string" ? config.cniVersion : "",
    env: {},
    ...over,
  };
}
