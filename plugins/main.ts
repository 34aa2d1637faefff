/**
 * The one entry point. The name the binary was exec'd under picks the plugin (multicall, like
 * busybox); any other name gets the suite's own CLI. Kept tiny: every plugin exec pays for what
 * this file imports and runs, so it imports no `node:*` module (node:fs alone costs ~2 ms and
 * ~4 MiB), statically only the registry and entry-version.ts, and answers VERSION before main():
 * a VERSION exec loads the registry's chunk and no other, and runs no function of ours but the
 * name check (docs/performance.md).
 */
import { ENTRY_VERSION_DOCUMENT } from "./entry-version.ts";
import { isPluginName, PLUGIN_NAMES, pluginEntry } from "./registry.ts";

/** The entry's clock, read before anything is loaded, for the profile's `start`. */
interface EntryClock {
  wall: number;
  usage: NodeJS.CpuUsage;
}

async function main(invoked: string, entry: EntryClock | undefined): Promise<number> {
  const profile = entry === undefined ? undefined : await import("../src/profile.ts");
  profile?.startProfile(true, undefined, entry);
  // Loading the profiler is a phase of its own, so `start` and the phases after it are the
  // unprofiled exec's.
  profile?.mark("profile");
  if (isPluginName(invoked)) {
    if (process.env.CNI_COMMAND === "VERSION") {
      await Bun.write(Bun.stdout, ENTRY_VERSION_DOCUMENT);
      profile?.mark("output");
      await Bun.write(Bun.stderr, profile?.profileLine(`${invoked} VERSION`) ?? "");
      return 0;
    }
    const { runPlugin } = await import("./run-plugin.ts");
    profile?.mark("imports");
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

function fail(err: unknown): never {
  process.stderr.write(`tscni: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

const entry = process.env.TSCNI_PROFILE === "1" ? { wall: performance.now(), usage: process.cpuUsage() } : undefined;
const argv0 = process.argv0;
const invoked = argv0.slice(argv0.lastIndexOf("/") + 1);
// Runtimes (podman) ask VERSION before every ADD and DEL: answered here, before main() (whose
// code a VERSION exec then never loads), unless profiling.
if (entry === undefined && process.env.CNI_COMMAND === "VERSION" && isPluginName(invoked)) {
  await Bun.write(Bun.stdout, ENTRY_VERSION_DOCUMENT).catch(fail);
  process.exit(0);
}
main(invoked, entry).then((code) => process.exit(code), fail);
