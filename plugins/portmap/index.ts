/**
 * The portmap meta plugin: forwards host ports to the container address the previous plugin
 * reported, with iptables or nftables, and passes that result through. Behaviour is v1.9.1's
 * (the differential tests run both); the deliberate differences are listed in docs/compatibility.md.
 */
import {
  type CmdArgs,
  CniError,
  gcAttachments,
  internalError,
  ProblemList,
  type Result,
} from "../../src/cni/index.ts";
import type { ApplyOptions, FirewallBackend, PortMapping, PortmapRequest, Probe } from "../../src/firewall/choice.ts";
import type { PluginEntry } from "../../src/container/index.ts";
import { ipFamily } from "../../src/ip/index.ts";
import { checkPortmap, portmapFirewall, type PortmapSettings, withPrefix } from "./config.ts";
import { containerIps, portmapRequests } from "./container-ips.ts";
import type { PortmapKernel } from "./kernel.ts";

/** Everything portmap touches outside its own process; unit tests substitute fakes. */
export interface PortmapDeps {
  /** Asks whether a backend can work here, when the config leaves the choice open. */
  readonly probe: Probe;
  readonly firewall: ApplyOptions;
  readonly kernel: PortmapKernel;
  log(line: string): void;
}

const PARSE_PREFIX = "failed to parse config: ";

/** `idle`: a call that does not touch the firewall when there are no mappings (ADD, CHECK). */
async function loadSettings(a: CmdArgs, prefix: string, probe: Probe, idle = false): Promise<PortmapSettings> {
  return withPrefix(prefix, async () => {
    const s = await checkPortmap(a.config, a.cniVersion, probe, ProblemList.strict(), false, idle);
    if (s === undefined) throw internalError("invalid configuration");
    return s;
  });
}

function udpPorts(mappings: readonly PortMapping[]): number[] {
  const ports: number[] = [];
  for (const m of mappings) if (m.protocol === "udp" && !ports.includes(m.hostPort)) ports.push(m.hostPort);
  return ports;
}

/**
 * Stale UDP conntrack entries for the host ports would keep sending datagrams to wherever they
 * went before (plugins#123, #1190). Failures are logged, never fatal, as in the reference.
 */
async function flushUdpConntrack(deps: PortmapDeps, mappings: readonly PortMapping[], families: readonly (4 | 6)[]): Promise<void> {
  const ports = udpPorts(mappings);
  if (ports.length === 0) return;
  for (const family of families) {
    try {
      await deps.kernel.deleteUdpConntrack(family, ports);
    } catch (err) {
      deps.log(`failed to delete stale UDP conntrack entries for IPv${family} ports ${ports.join(",")}: ${CniError.from(err).message}`);
    }
  }
}

/** 127.0.0.1 can only be DNATed out of the host when the outgoing interface allows it. */
async function enableRouteLocalnet(deps: PortmapDeps, containerIp: string): Promise<void> {
  const address = containerIp.split("/")[0] ?? containerIp;
  try {
    await deps.kernel.enableRouteLocalnet(address);
  } catch (err) {
    throw internalError(`unable to enable route_localnet: ${CniError.from(err).message}`, err);
  }
}

/** The settings' backend, loaded: only calls that touch the firewall pay for its code. */
async function backendOf(s: PortmapSettings): Promise<FirewallBackend> {
  const backend = s.backend === undefined ? undefined : await (await portmapFirewall()).findBackend(s.backend);
  if (backend === undefined) throw internalError(`no firewall backend chosen (${String(s.backend)})`);
  return backend;
}

async function forwardPorts(deps: PortmapDeps, s: PortmapSettings, reqs: readonly PortmapRequest[], containerId: string): Promise<void> {
  const fw = await backendOf(s);
  try {
    await fw.apply({ kind: "portmap", reqs }, deps.firewall);
  } catch (err) {
    // iptables applies one atomic batch per family; do not leave the first family behind.
    await fw.removeOwned({ kind: "portmap", ref: { network: s.network, containerId } }, deps.firewall).catch(() => undefined);
    throw err;
  }
}

function familiesOf(reqs: readonly PortmapRequest[]): (4 | 6)[] {
  const out: (4 | 6)[] = [];
  for (const r of reqs) out.push(ipFamily(r.containerIp));
  return out;
}

export function makePortmap(deps: PortmapDeps): PluginEntry {
  return {
    name: "portmap",

    async add(a: CmdArgs): Promise<Result> {
      const s = await loadSettings(a, PARSE_PREFIX, deps.probe, true);
      if (s.prevResult === undefined) throw internalError("must be called as chained plugin");
      if (s.mappings.length === 0) return s.prevResult;
      const ips = containerIps(s.prevResult, a.ifname);
      const reqs = await portmapRequests(s, a.containerId, ips);
      if (reqs.length === 0) return s.prevResult;
      await forwardPorts(deps, s, reqs, a.containerId);
      await flushUdpConntrack(deps, s.mappings, familiesOf(reqs));
      if (s.snat && ips.v4 !== undefined) await enableRouteLocalnet(deps, ips.v4);
      return s.prevResult;
    },

    async del(a: CmdArgs): Promise<void> {
      const s = await loadSettings(a, PARSE_PREFIX, deps.probe);
      // Removed by name, whether or not this DEL still carries the mappings (the reference then
      // does nothing and leaks the rules).
      await (await backendOf(s)).removeOwned({ kind: "portmap", ref: { network: s.network, containerId: a.containerId } }, deps.firewall);
      await flushUdpConntrack(deps, s.mappings, [4, 6]);
    },

    async check(a: CmdArgs): Promise<void> {
      // Without mappings there is nothing to check: no backend probe, no exec (like ADD).
      const s = await loadSettings(a, "", deps.probe, true);
      if (s.prevResult === undefined) throw internalError("Required prevResult missing");
      if (s.mappings.length === 0) return;
      const reqs = await portmapRequests(s, a.containerId, containerIps(s.prevResult, a.ifname));
      await (await backendOf(s)).check({ kind: "portmap", reqs }, deps.firewall);
    },

    async gc(a: CmdArgs): Promise<void> {
      const s = await loadSettings(a, "", deps.probe);
      const valid = gcAttachments(a.config).map((x) => x.containerID);
      // Only per-container chains and rules go; the shared chains and tables stay.
      await (await backendOf(s)).removeStale({ kind: "portmap", network: s.network, validContainerIds: valid }, deps.firewall);
    },

    // Success, as v1.9.1 answers: with an unusable firewall tool only ADDs that map ports fail,
    // pods without mappings still start, so the node must not be reported as not ready.
    async status(): Promise<void> {},

    checkConfig: async (config, problems, cniVersion) => void (await checkPortmap(config, cniVersion, undefined, problems, true)),
    chainedOnly: "portmap must come after the plugin that creates the container's interface (bridge, ptp, macvlan, …)",
    describe: async () => ({ devices: [], ipam: [], firewall: ["portmap"], createsInterface: false }),
  };
}

/** The kernel seam, loaded with the firewall half by the calls with mappings. */
const systemKernel: PortmapKernel = {
  deleteUdpConntrack: async (family, ports) => (await portmapFirewall()).systemKernel.deleteUdpConntrack(family, ports),
  enableRouteLocalnet: async (ip) => (await portmapFirewall()).systemKernel.enableRouteLocalnet(ip),
};

const systemDeps: PortmapDeps = {
  // Each backend's own probe (the reference's: can its tool work here?).
  probe: (b) => b.usable(),
  firewall: {},
  kernel: systemKernel,
  log: (line) => process.stderr.write(`${line}\n`),
};

export const portmap: PluginEntry = makePortmap(systemDeps);
