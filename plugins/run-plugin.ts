import { type DispatchIo, dispatch, registerInProcessPlugins } from "../src/cni/index.ts";
import { buildString } from "../src/build-info.ts";
import { readStdin, writeStderr, writeStdout } from "../src/stdio.ts";
import { logFinishedCall } from "../src/log.ts";
import { profileLine } from "../src/profile.ts";
import { isOwnNetns } from "../src/sys/own-netns.ts";
import { isPluginName, pluginLoader } from "./registry.ts";

function runWith(name: string, io: DispatchIo): Promise<number> | number {
  const load = isPluginName(name) ? pluginLoader(name) : undefined;
  if (load === undefined) {
    io.writeStderr(`tscni: unknown plugin "${name}"\n`);
    return 1;
  }
  return dispatch({ name, buildVersion: buildString, load }, io);
}

// A plugin that delegates (bridge → host-local) runs the delegate in this process when the
// CNI_PATH entry it finds is this same binary.
registerInProcessPlugins({
  has: (name) => isPluginName(name) && pluginLoader(name) !== undefined,
  run: async (name, io) => await runWith(name, { ...io, isOwnNetns }),
});

/** Runs plugin `name` with the process's env and stdio; returns the exit status. */
export async function runPlugin(name: string): Promise<number> {
  const onFinish = logFinishedCall(name, process.env, performance.now());
  const code = await runWith(name, { env: process.env, readStdin, writeStdout, writeStderr, isOwnNetns, onFinish });
  const line = profileLine(`${name} ${process.env.CNI_COMMAND ?? ""}`);
  if (line !== undefined) await writeStderr(line);
  return code;
}
