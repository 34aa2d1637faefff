/** Inputs the plugins hand to the plan builders (validated again here before any rendering). */

/** One runtimeConfig.portMappings entry, as the portmap config parsed it. */
export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: string;
  readonly hostIP?: string;
}

/** One bridge attachment's masquerade request. */
export interface MasqRequest {
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
  /** Container addresses as `ip/prefix`, from the IPAM result. */
  readonly addresses: readonly string[];
}

/** Identifies one attachment for teardown; addresses are not needed. */
export interface AttachmentRef {
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
}

/** One family's port forwarding for one container, after portmap picked the container IP. */
export interface PortmapRequest {
  readonly network: string;
  readonly containerId: string;
  /** The container address of this family as `ip/prefix`. */
  readonly containerIp: string;
  readonly mappings: readonly PortMapping[];
  readonly snat: boolean;
  readonly masqAll: boolean;
  /** iptables only; 0..31. */
  readonly markMasqBit: number;
  /** iptables only; replaces the shared SETMARK chain as the jump target. */
  readonly externalSetMarkChain?: string;
  /** conditionsV4 or conditionsV6, whichever matches containerIp's family. */
  readonly conditions?: readonly string[];
}

/** macspoofchk for one attachment. */
export interface SpoofCheckRequest {
  readonly containerId: string;
  readonly ifname: string;
  /** The host-side veth name. */
  readonly hostIfname: string;
  readonly containerMac: string;
}
