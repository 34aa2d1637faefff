/**
 * host-local as any plugin that delegates to it sees it: the checks ADD runs before creating
 * anything, and the state a config uses.
 */
import { goField, internalError, type ProblemList } from "../cni/index.ts";
import { checkHostLocalConfig, loadHostLocalConfig, type Range } from "../ipam/index.ts";
import { ipamType, type IpamStore } from "./plugin-entry.ts";

const HOST_LOCAL = "host-local";

/**
 * host-local's whole config (ranges, routes, CNI_ARGS), in the caller's list, which the reference
 * only finds out about after creating the host's devices. A route without `dst` passes host-local
 * but fails the attaching plugin after allocation (v1.9.1 keeps the address): refused here first.
 */
export function checkHostLocalIpam(config: Record<string, unknown>, cniArgs: string, p: ProblemList): void {
  if (ipamType(config) !== HOST_LOCAL) return;
  checkHostLocalConfig(config, cniArgs, p);
  const routes = goField(goField(config, "ipam") as Record<string, unknown>, "routes");
  if (!Array.isArray(routes)) return;
  for (let i = 0; i < routes.length; i++) {
    const r: unknown = routes[i];
    if (r === null || typeof r !== "object") continue;
    const dst = goField(r as Record<string, unknown>, "dst");
    p.check(`ipam.routes[${i}].dst`, () => {
      if (dst === undefined || dst === null) throw internalError("invalid CIDR address: <nil>");
    });
  }
}

/** The store host-local would use for this stdin (its `ipam` section), with the ranges when they load. */
export function hostLocalStores(config: Record<string, unknown>): IpamStore[] {
  const ipam = goField(config, "ipam");
  if (ipam === null || typeof ipam !== "object" || Array.isArray(ipam)) return [];
  const dataDir = goField(ipam as Record<string, unknown>, "dataDir");
  let rangeSets: Range[][] = [];
  try {
    rangeSets = loadHostLocalConfig(config, "").rangeSets;
  } catch {
    // validate reports why; the store is still where the dataDir says
  }
  return [{ dataDir: typeof dataDir === "string" ? dataDir : "", rangeSets }];
}

/** The host-local `ipam` sections of a list's plugins (for readers without the registry, as the agent's metrics). */
export function hostLocalSections(plugins: readonly { type: string; raw: Record<string, unknown> }[]): Record<string, unknown>[] {
  return plugins.flatMap((p) => (ipamType(p.raw) === HOST_LOCAL ? [goField(p.raw, "ipam") as Record<string, unknown>] : []));
}
