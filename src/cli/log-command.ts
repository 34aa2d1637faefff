import { DEFAULT_LOG_FILE, logTarget } from "../log.ts";
import { type Cli, leafCommand } from "./command.ts";
import { UsageError } from "./command-line.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "log", description: "Show recent plugin calls from the call log as a timeline (steps, addresses, errors, rollbacks)" },
    args: {
      pod: { type: "string", valueHint: "NAME", description: "only this pod (K8S_POD_NAME), or a container ID prefix" },
      namespace: { type: "string", valueHint: "NS", description: "only pods of this namespace" },
      file: { type: "string", valueHint: "PATH", description: `the call log (default: $TSCNI_LOG or ${DEFAULT_LOG_FILE})` },
      limit: { type: "string", default: "20", valueHint: "N", description: "show at most the last N calls" },
    },
    async run(args) {
      if (!/^[1-9]\d*$/.test(args.limit)) throw new UsageError("--limit must be a positive whole number");
      const file = args.file ?? logTarget(cli.env, undefined) ?? DEFAULT_LOG_FILE;
      const { logCommand } = await import("./actions.ts");
      return logCommand({ file, pod: args.pod, namespace: args.namespace, limit: Number(args.limit), out: cli.out });
    },
  });
