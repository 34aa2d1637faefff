import { dirArgs } from "./options.ts";
import { type Cli, leafCommand, noPlugins } from "./command.ts";
import { UsageError } from "./command-line.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "gc", description: "Free host-local reservations and firewall objects of attachments that no longer exist (dry run unless --apply)" },
    args: {
      ...dirArgs,
      valid: { type: "string", valueHint: "CID:IFNAME", description: "an attachment still in use (repeatable, or comma-separated)" },
      "from-netns-dir": { type: "string", valueHint: "DIR", description: "valid = cached attachments whose netns still exists (e.g. /run/netns)" },
      "grace-period": { type: "string", default: "600", valueHint: "SECONDS", description: "nothing of an attachment younger than this is touched" },
      apply: { type: "boolean", description: "actually free them (default: only print)" },
      json: { type: "boolean", description: "machine-readable output" },
    },
    async run(args, line) {
      const grace = Number(args["grace-period"]);
      if (!/^\d+$/.test(args["grace-period"]) || !Number.isSafeInteger(grace)) throw new UsageError("--grace-period must be a whole number of seconds");
      const { gcCommand, progressOn } = await import("./actions.ts");
      return await gcCommand({
        confDir: args["conf-dir"],
        binDir: args["bin-dir"],
        cacheDir: args["cache-dir"],
        valid: line.given("valid") ? line.list("valid") : undefined,
        fromNetnsDir: args["from-netns-dir"],
        graceSeconds: grace,
        apply: args.apply === true,
        json: args.json === true,
        env: cli.env,
        registry: cli.deps.registry ?? noPlugins,
        out: cli.out,
        err: cli.err,
        progress: progressOn({ isTTY: cli.stderrIsTty, columns: cli.stderrColumns, write: cli.err }),
      });
    },
  });
