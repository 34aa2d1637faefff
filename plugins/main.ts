/**
 * The one entry point. The name the binary was exec'd under picks the plugin (multicall, like
 * busybox); any other name gets the suite's own CLI. Kept tiny: every plugin exec pays for it.
 */
import { basename } from "node:path";
import { isPluginName } from "./registry.ts";

async function main(): Promise<number> {
  const invoked = basename(process.argv0);
  if (isPluginName(invoked)) {
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
