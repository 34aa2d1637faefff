/**
 * Container-side machinery any plugin that wires a container uses (the reference's pkg/ip and
 * ConfigureIface): the netns, a veth pair created in place, the container MAC, the interface
 * configured from a result and checked against it, its sysctls, host forwarding, and the undo
 * steps of a failed ADD.
 */
export { configureIface, containerLinkUp, type ConfigureOptions } from "./configure.ts";
export { enableForwarding, forwardingOn } from "./forwarding.ts";
export { containerMac, parseGoMac } from "./mac.ts";
export { openContainerNetns } from "./netns.ts";
export { Rollback } from "./rollback.ts";
export { setContainerSysctls } from "./sysctls.ts";
export { validateExpectedIps, validateExpectedRoutes } from "./validate.ts";
export { createVeth, createVethPair, randomVethName, type Veth, type VethPair, type VethRequest } from "./veth.ts";
export { addMasq, allocateIpam, gcMasqFor, ipamCall, masqBackend, type MasqRef, masqRef, removeMasq } from "./attachment.ts";
export { checkHostLocalIpam, hostLocalSections, hostLocalStores } from "./host-local.ts";
export {
  describeConfig,
  type HostDevice,
  ipamType,
  type IpamStore,
  mergeDescriptions,
  NOTHING,
  type PluginDescription,
  type PluginEntry,
  type PluginLookup,
} from "./plugin-entry.ts";
