/**
 * The configs the fresh-node class runs: every plugin, every firewall backend (iptables, nftables,
 * and none configured: tscni picks as the reference does), spec 1.1.0 so GC and STATUS apply.
 */
export const BACKENDS = ["iptables", "nftables", "auto"] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export const NETWORK = "freshnet";
const SUBNET = "10.77.0";
export const CONTAINER_IP = `${SUBNET}.2`;

const backendKey = (key: string, backend: BackendChoice): Record<string, string> => (backend === "auto" ? {} : { [key]: backend });

export function bridgeConf(backend: BackendChoice, dataDir: string): object {
  return {
    cniVersion: "1.1.0",
    name: NETWORK,
    type: "bridge",
    bridge: "freshbr0",
    isGateway: true,
    ipMasq: true,
    ...backendKey("ipMasqBackend", backend),
    ipam: { type: "host-local", ranges: [[{ subnet: `${SUBNET}.0/24` }]], dataDir },
  };
}

export function hostLocalConf(dataDir: string): object {
  return { cniVersion: "1.1.0", name: NETWORK, type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: `${SUBNET}.0/24` }]], dataDir } };
}

export function loopbackConf(): object {
  return { cniVersion: "1.1.0", name: NETWORK, type: "loopback" };
}

/** A prevResult as bridge returns it for CONTAINER_IP. */
export function prevResult(): object {
  return {
    cniVersion: "1.1.0",
    interfaces: [{ name: "freshbr0" }, { name: "veth0" }, { name: "eth0", sandbox: "/x" }],
    ips: [{ address: `${CONTAINER_IP}/24`, gateway: `${SUBNET}.1`, interface: 2 }],
  };
}

export function portmapConf(backend: BackendChoice, prev?: object): object {
  return {
    cniVersion: "1.1.0",
    name: NETWORK,
    type: "portmap",
    snat: true,
    ...backendKey("backend", backend),
    capabilities: { portMappings: true },
    runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
    ...(prev === undefined ? {} : { prevResult: prev }),
  };
}

/** GC's config: the network's own, plus the attachments the runtime still uses. */
export function withValid(conf: object, valid: readonly { containerID: string; ifname: string }[]): object {
  return { ...conf, "cni.dev/valid-attachments": valid };
}
