/**
 * A plugin exec: the process's env and stdio wired to the dispatcher. Imports only what every
 * plugin call needs (no node:* module, no delegation code); the plugin's own module loads later.
 */
import { type DispatchIo, dispatch } from "../src/cni/dispatch.ts";
import { registerInProcessPlugins } from "../src/cni/in-process.ts";
import { buildString } from "../src/build-info.ts";
import { readProcFile, readStdin, writeStderr, writeStdout } from "../src/stdio.ts";
import { logFinishedCall } from "../src/log.ts";
import { profileLine } from "../src/profile.ts";
import { isOwnNetns } from "../src/sys/own-netns.ts";
import { isPluginName, pluginLoader } from "./registry.ts";

function runWith(name: string, io: DispatchIo): Promise<number> | number {
  if (!isPluginName(name)) {
    io.writeStderr(`tscni: unknown plugin "${name}"\n`);
    return 1;
  }
  return dispatch({ name, buildVersion: buildString, load: pluginLoader(name) }, io);
}

/** Runs plugin `name` with the process's env and stdio; returns the exit status. */
export async function runPlugin(name: string): Promise<number> {
  // A plugin that delegates (bridge → host-local) runs the delegate in this process when the
  // CNI_PATH entry it finds is this same binary.
  registerInProcessPlugins({
    has: isPluginName,
    run: async (n, io) => await runWith(n, { ...io, isOwnNetns }),
  });
  const onFinish = logFinishedCall(name, process.env, performance.now());
  const code = await runWith(name, { env: process.env, readStdin, writeStdout, writeStderr, isOwnNetns, onFinish });
  const line = profileLine(`${name} ${process.env.CNI_COMMAND ?? ""}`, readProcFile);
  if (line !== undefined) await writeStderr(line);
  return code;
}
