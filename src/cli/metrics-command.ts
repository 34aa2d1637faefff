/** `tscni metrics`: the agent's /metrics document, from the call log and state on disk, without the agent. */
import { DEFAULT_LOG_FILE, logTarget } from "../log.ts";
import { type Cli, leafCommand } from "./command.ts";
import { confDir } from "./options.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "metrics", description: "Print Prometheus metrics (plugin calls, durations, addresses, agent gc and peers) from the node's files" },
    args: {
      "conf-dir": { type: "string", description: "conf dir (default: $NETCONFPATH or /etc/cni/net.d)" },
      "call-log": { type: "string", valueHint: "PATH", description: `the call log (default: $TSCNI_LOG or ${DEFAULT_LOG_FILE})` },
      "status-file": { type: "string", default: "/run/tscni/agent-status.json", valueHint: "PATH", description: "the agent's status, when it runs" },
    },
    async run(args) {
      const { renderMetrics, readStatus } = await import("./actions.ts");
      cli.out(
        renderMetrics({
          callLog: args["call-log"] ?? logTarget(cli.env, undefined) ?? DEFAULT_LOG_FILE,
          confDir: confDir(args["conf-dir"], cli.env),
          status: readStatus(args["status-file"]),
        }),
      );
    },
  });
