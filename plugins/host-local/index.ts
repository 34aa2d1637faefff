/** The host-local IPAM plugin: the verbs live in src/ipam so the bridge can run them in-process. */
import type { PluginEntry } from "../../src/container/index.ts";
import { checkHostLocalConfig, hostLocal as verbs } from "../../src/ipam/index.ts";

export const hostLocal: PluginEntry = {
  ...verbs,
  checkConfig: async (config, problems) => void checkHostLocalConfig(config, "", problems),
  // Loaded only by the operator tools: an exec of host-local never parses src/container.
  describe: async (config) => ({ devices: [], ipam: (await import("../../src/container/index.ts")).hostLocalStores(config), firewall: [], createsInterface: false }),
};
