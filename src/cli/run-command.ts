/**
 * `tscni run <verb>`: one subcommand per verb, each declaring only the arguments that verb uses
 * (a netns for add/check/del, --valid for gc).
 */
import { type Cli, groupCommand, leafCommand } from "./command.ts";
import { dirArgs } from "./options.ts";
import type { RunOptions, RunVerb } from "./run.ts";

const network = { type: "positional", required: true, description: "network name (the `name` in the conf dir)" } as const;

const attachmentArgs = {
  network,
  netns: { type: "positional", required: true, description: "netns path" },
  ifname: { type: "string", description: "interface name (default: $CNI_IFNAME or eth0)" },
  "container-id": { type: "string", description: "container ID (default: cnitool's, derived from the netns path)" },
  "cap-args": { type: "string", valueHint: "JSON", description: "capability args, e.g. '{\"portMappings\":[…]}' (default: $CAP_ARGS)" },
  args: { type: "string", valueHint: "K=V;K=V", description: "CNI_ARGS (default: $CNI_ARGS)" },
  ...dirArgs,
} as const;

const DESCRIPTIONS: Record<Exclude<RunVerb, "gc" | "status">, string> = {
  add: "Attach the container's netns to the network (a failed ADD is followed by DEL of the chain, as containerd does)",
  check: "Check the attachment against the cached result",
  del: "Detach and forget the cached result",
};

type Dirs = { "conf-dir"?: string; "bin-dir"?: string; "cache-dir"?: string };

async function runVerb(cli: Cli, a: Dirs & { network: string }, o: Partial<RunOptions> & { verb: RunVerb }): Promise<number> {
  const { runCommand } = await import("./actions.ts");
  return await runCommand({
    netns: "",
    ...o,
    network: a.network,
    confDir: a["conf-dir"],
    binDir: a["bin-dir"],
    cacheDir: a["cache-dir"],
    env: cli.env,
    out: cli.out,
    err: cli.err,
  });
}

function attachmentVerb(cli: Cli, verb: keyof typeof DESCRIPTIONS) {
  return leafCommand(cli, {
    meta: { name: verb, description: DESCRIPTIONS[verb] },
    args: attachmentArgs,
    run: async (a) =>
      await runVerb(cli, a, { verb, netns: a.netns, ifname: a.ifname, containerId: a["container-id"], capArgs: a["cap-args"], cniArgs: a.args }),
  });
}

export default (cli: Cli) =>
  groupCommand({
    meta: { name: "run", description: "Run a network config against a netns like a runtime (libcni/cnitool semantics and cache)" },
    subCommands: {
      add: () => attachmentVerb(cli, "add"),
      check: () => attachmentVerb(cli, "check"),
      del: () => attachmentVerb(cli, "del"),
      gc: () =>
        leafCommand(cli, {
          meta: { name: "gc", description: "Run the network's GC verb; attachments not listed with --valid are stale" },
          args: {
            network,
            valid: { type: "string", valueHint: "CID:IFNAME", description: "an attachment still in use (repeatable); none = all cached ones are stale" },
            ...dirArgs,
          },
          run: async (a, line) => await runVerb(cli, a, { verb: "gc", valid: line.given("valid") ? line.list("valid") : undefined }),
        }),
      status: () =>
        leafCommand(cli, {
          meta: { name: "status", description: "Ask every plugin of the network whether it is ready for ADDs" },
          args: { network, ...dirArgs },
          run: async (a) => await runVerb(cli, a, { verb: "status" }),
        }),
    },
  });
