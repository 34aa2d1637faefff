/**
 * What portmap loads only for a call that needs the firewall or the kernel: the backend choice and
 * registry, the host-IP and condition checks, and the kernel seam (route lookup, conntrack,
 * sysctl). A call without mappings, backend or backend-specific options (containerd's default
 * chain, every pod) loads none of it (docs/performance.md). It comes in as one module so that
 * every chunk that loads a backend has the netlink code the backends share already loaded.
 */
export { checkConditions, findBackend, noProbe, parseIp, portmapBackendName } from "../../src/firewall/choice.ts";
export { systemKernel } from "./kernel.ts";
