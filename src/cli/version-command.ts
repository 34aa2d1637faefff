import { buildCommit, buildString, buildTarget, buildVersion } from "../build-info.ts";
import { type Cli, leafCommand } from "./command.ts";
import { jsonDocument } from "./json.ts";

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "version", description: "Print the tscni version, the commit it was built from and its target" },
    args: { json: { type: "boolean", description: "machine-readable output" } },
    run({ json }) {
      cli.out(json === true ? jsonDocument({ version: buildVersion, commit: buildCommit, target: buildTarget }) : `${buildString} for ${buildTarget}\n`);
    },
  });
