/**
 * The one entry point. The name the binary was exec'd under picks the plugin (multicall, like
 * busybox); any other name gets the suite's own CLI. Kept tiny: every plugin exec pays for it.
 */
import { writeSync } from "node:fs";
import { basename } from "node:path";
import { versionDocument } from "../src/cni/version.ts";
import { isPluginName } from "./registry.ts";

async function main(): Promise<number> {
  const invoked = basename(process.argv0);
  if (isPluginName(invoked)) {
    // Runtimes (podman) ask VERSION before every ADD and DEL: answer it without loading anything.
    if (process.env.CNI_COMMAND === "VERSION") {
      writeSync(1, versionDocument());
      return 0;
    }
    const { runPlugin } = await import("./run-plugin.ts");
    return await runPlugin(invoked);
  }
  const { runCli } = await import("../src/cli/index.ts");
  return await runCli(process.argv.slice(2), {
    runPlugin: async (n) => (await import("./run-plugin.ts")).runPlugin(n),
    validators: async () => (await import("./validators.ts")).pluginValidators(),
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tscni: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
