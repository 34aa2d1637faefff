/**
 * Each plugin's config schema, for `tscni validate` and `doctor`. Lives beside the registry
 * because src/ never imports plugins/.
 */
import type { GenericSchema } from "valibot";
import type { PluginValidator } from "../src/cli/validate.ts";

export async function pluginValidators(): Promise<Readonly<Record<string, PluginValidator>>> {
  const { schemaValidator } = await import("../src/cli/validate.ts");
  const schemas: Record<string, GenericSchema> = {
    bridge: (await import("./bridge/config.ts")).BridgeConfig,
    loopback: (await import("./loopback/config.ts")).LoopbackConfig,
    "host-local": (await import("./host-local/config.ts")).HostLocalNetConf,
    portmap: (await import("./portmap/config.ts")).PortmapConfig,
  };
  return Object.fromEntries(Object.entries(schemas).map(([type, schema]) => [type, schemaValidator(schema)]));
}
