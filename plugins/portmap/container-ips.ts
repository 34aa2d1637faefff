/**
 * Which prevResult addresses portmap forwards to, and the per-family requests for src/firewall.
 */
import type { Result } from "../../src/cni/index.ts";
import type { Family, PortmapRequest } from "../../src/firewall/choice.ts";
import { ipFamily } from "../../src/ip/index.ts";
import { checkPortmapConditions, type PortmapSettings } from "./config.ts";

export interface ContainerIps {
  readonly v4?: string;
  readonly v6?: string;
}

/**
 * Per family, the first prevResult address that belongs to `ifname` in a sandbox. An address
 * whose interface index is missing or out of range is taken as is (the reference does the same).
 */
export function containerIps(result: Result, ifname: string): ContainerIps {
  const interfaces = result.interfaces ?? [];
  let v4: string | undefined;
  let v6: string | undefined;
  for (const ip of result.ips ?? []) {
    const idx = ip.interface;
    if (idx !== undefined && idx >= 0 && idx < interfaces.length) {
      const iface = interfaces[idx];
      if (iface === undefined || iface.name !== ifname || (iface.sandbox ?? "") === "") continue;
    }
    if (ipFamily(ip.address) === 4) v4 ??= ip.address;
    else v6 ??= ip.address;
  }
  return { ...(v4 !== undefined && { v4 }), ...(v6 !== undefined && { v6 }) };
}

/** One request per family that has a container address, IPv4 first; both condition lists checked. */
export async function portmapRequests(s: PortmapSettings, containerId: string, ips: ContainerIps): Promise<PortmapRequest[]> {
  await checkPortmapConditions(s);
  const reqs: PortmapRequest[] = [];
  const families: [Family, string | undefined, readonly string[] | undefined][] = [
    [4, ips.v4, s.conditionsV4],
    [6, ips.v6, s.conditionsV6],
  ];
  for (const [, containerIp, conditions] of families) {
    if (containerIp === undefined) continue;
    reqs.push({
      network: s.network,
      containerId,
      containerIp,
      mappings: s.mappings,
      snat: s.snat,
      // Read by the iptables layout only: v1.9.1's nftables backend has no such option.
      masqAll: s.masqAll,
      markMasqBit: s.markMasqBit,
      ...(s.externalSetMarkChain !== undefined && { externalSetMarkChain: s.externalSetMarkChain }),
      ...(conditions !== undefined && { conditions }),
    });
  }
  return reqs;
}
