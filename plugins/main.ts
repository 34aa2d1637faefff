/**
 * The one entry point. The name the binary was exec'd under picks the plugin (multicall, like
 * busybox); any other name gets the suite's own CLI. Kept tiny: every plugin exec pays for what
 * this file imports, so it imports no `node:*` module (node:fs alone costs ~2 ms and ~4 MiB).
 */
import { versionDocument } from "../src/cni/spec-versions.ts";
import { mark, profileLine, startProfile } from "../src/profile.ts";
import { isPluginName, PLUGIN_NAMES, pluginEntry } from "./registry.ts";

async function main(): Promise<number> {
  startProfile(process.env.TSCNI_PROFILE === "1");
  const argv0 = process.argv0;
  const invoked = argv0.slice(argv0.lastIndexOf("/") + 1);
  if (isPluginName(invoked)) {
    // Runtimes (podman) ask VERSION before every ADD and DEL: answer it without loading anything.
    if (process.env.CNI_COMMAND === "VERSION") {
      await Bun.write(Bun.stdout, versionDocument());
      mark("output");
      const line = profileLine(`${invoked} VERSION`);
      if (line !== undefined) await Bun.write(Bun.stderr, line);
      return 0;
    }
    const { runPlugin } = await import("./run-plugin.ts");
    mark("imports");
    return await runPlugin(invoked);
  }
  // The suite's own commands can run long (gc, doctor): the normal JIT policy, not the plugin one.
  Bun.unsafe.setJITPolicy(1);
  const { runCli } = await import("../src/cli/index.ts");
  return await runCli(process.argv.slice(2), {
    pluginNames: PLUGIN_NAMES,
    runPlugin: async (n) => (await import("./run-plugin.ts")).runPlugin(n),
    registry: pluginEntry,
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tscni: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
