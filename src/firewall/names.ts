/**
 * The deterministic names and comments the reference plugins give their firewall objects. tscni
 * must produce the same ones so that a node can switch implementations with pods running: each
 * side then finds and deletes the other's rules.
 */
import { hexDigest } from "../hash.ts";
import { goQuote } from "../gofmt/index.ts";
import type { Family, NftTableRef } from "./model.ts";
import { truncateBytes } from "./validate.ts";

const SHA512_HEX_LENGTH = 128;

function sha512Hex(s: string): string {
  return hexDigest("sha512", s);
}

/** `prefix` followed by the hex sha512 of `toHash`, cut to `length` characters in total. */
export function hashWithPrefix(length: number, prefix: string, toHash: string): string {
  if (prefix.length >= length || length > SHA512_HEX_LENGTH) throw new RangeError("invalid hash name length");
  return (prefix + sha512Hex(toHash)).slice(0, length);
}

const CHAIN_NAME_LENGTH = 28;

/** bridge ipMasq (iptables): `CNI-` + 24 hex of sha512(network + containerID). */
export function masqChainName(network: string, containerId: string): string {
  return hashWithPrefix(CHAIN_NAME_LENGTH, CNI_CHAIN_PREFIX, network + containerId);
}

/** bridge ipMasq (iptables) rule comment, Go `%q` quoting included. */
export function masqComment(network: string, containerId: string): string {
  return `${masqCommentPrefix(network)}${goQuote(containerId)}`;
}

/** The start of every nft masquerade comment of this network. */
export function nftMasqNetworkHash(network: string): string {
  return hashWithPrefix(16, "", network);
}

/** Identifies one attachment's nft masquerade rules: `<H16(network)>-<H16(ifname:containerID)>`. */
export function nftMasqInstanceHash(network: string, ifname: string, containerId: string): string {
  return `${nftMasqNetworkHash(network)}-${hashWithPrefix(16, "", `${ifname}:${containerId}`)}`;
}

/** nft's comment limit in bytes. */
export const NFT_COMMENT_MAX = 128;

/** The nft masquerade rule comment: instance hash, then a readable (quote-free) description. */
export function nftMasqComment(network: string, ifname: string, containerId: string): string {
  const strip = (s: string): string => s.replaceAll('"', "");
  const text = `${nftMasqInstanceHash(network, ifname, containerId)}, net: ${strip(network)}, if: ${strip(ifname)}, id: ${strip(containerId)}`;
  return truncateBytes(text, NFT_COMMENT_MAX);
}

/** portmap (iptables) per-container DNAT chain: `CNI-DN-` + 21 hex. */
export function portmapDnatChainName(network: string, containerId: string): string {
  return hashWithPrefix(CHAIN_NAME_LENGTH, DNAT_CHAIN_PREFIX, network + containerId);
}

/** The SNAT chain older portmap versions created; DEL still removes it. */
export function portmapLegacySnatChainName(network: string, containerId: string): string {
  return hashWithPrefix(CHAIN_NAME_LENGTH, "CNI-SN-", network + containerId);
}

const IPTABLES_COMMENT_MAX = 255;

/** portmap entry-rule comment; plain quotes (not %q), trimmed like the reference. */
export function portmapDnatComment(network: string, containerId: string): string {
  const text = `${portmapDnatCommentPrefix(network)}${containerId}"`;
  return Buffer.byteLength(text, "utf8") <= IPTABLES_COMMENT_MAX ? text : `${truncateBytes(text, 253)}...`;
}

export interface SpoofCheckNames {
  readonly chain: string;
  readonly macChain: string;
  readonly comment: string;
}

/** What every macspoofchk rule's comment starts with (then `<containerID>-<ifname>`). */
export const SPOOF_COMMENT_PREFIX = "macspoofchk-";

/** macspoofchk: chains and comment derived from `<containerID>-<ifname>`. */
export function spoofCheckNames(containerId: string, ifname: string): SpoofCheckNames {
  const refId = `${containerId}-${ifname}`;
  const chain = `cni-br-iface-${refId}`;
  return { chain, macChain: `${chain}-mac`, comment: `${SPOOF_COMMENT_PREFIX}${refId}` };
}

/** Shared object names, kept identical to the reference's. */
export const SHARED = {
  hostportDnat: "CNI-HOSTPORT-DNAT",
  hostportSetMark: "CNI-HOSTPORT-SETMARK",
  hostportMasq: "CNI-HOSTPORT-MASQ",
  hostportLegacySnat: "CNI-HOSTPORT-SNAT",
  portfwdMarkComment: "CNI portfwd masquerade mark",
  portfwdMasqComment: "CNI portfwd requiring masquerade",
  masqTable: "cni_plugins_masquerade",
  masqTableComment: "Masquerading for plugins from github.com/containernetworking/plugins",
  masqChecks: "masq_checks",
  masqChecksComment: "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet",
  masqPostrouting: "postrouting",
  hostportTable: "cni_hostport",
  hostportTableComment: "CNI portmap plugin",
  hostports: "hostports",
  hostipHostports: "hostip_hostports",
  hostportsAll: "hostports_all",
  hostportMasquerading: "masquerading",
  hostportPrerouting: "prerouting",
  hostportOutput: "output",
  spoofTable: "nat",
  spoofBaseChain: "PREROUTING",
} as const;

/** Where the entry rules of the per-attachment iptables chains live (the reference's hostport and masquerade hooks). */
export const IPTABLES_ENTRY_CHAINS: readonly string[] = ["PREROUTING", "OUTPUT", "POSTROUTING", SHARED.hostportDnat, SHARED.hostportMasq, SHARED.hostportSetMark];

/** The nft portmap chains whose rules carry the container ID as their whole comment. */
export const PORTMAP_NFT_CHAINS: readonly string[] = [SHARED.hostports, SHARED.hostipHostports, SHARED.hostportMasquerading];

export const MASQ_NFT_TABLE: NftTableRef = { family: "inet", table: SHARED.masqTable };
export const SPOOF_NFT_TABLE: NftTableRef = { family: "bridge", table: SHARED.spoofTable };

/** The nft table portmap writes for one address family. */
export function portmapNftTable(family: Family): NftTableRef {
  return { family: family === 4 ? "ip" : "ip6", table: SHARED.hostportTable };
}

/** Every iptables chain a CNI plugin creates starts with this; other software's chains do not. */
export const CNI_CHAIN_PREFIX = "CNI-";
export const DNAT_CHAIN_PREFIX = "CNI-DN-";
/** A bridge ipMasq chain: masqChainName's shape. */
export const MASQ_CHAIN = /^CNI-[0-9a-f]{24}$/;
/** An nft masquerade comment starts with the instance hash: nftMasqInstanceHash's shape. */
export const NFT_MASQ_INSTANCE = /^[0-9a-f]{16}-[0-9a-f]{16}/;
/** Length of nftMasqInstanceHash: 16 hex, "-", 16 hex. */
export const NFT_MASQ_INSTANCE_LENGTH = 33;

/** What every portmapDnatComment of this network starts with; it survives the 255-byte trim. */
export function portmapDnatCommentPrefix(network: string): string {
  return `dnat name: "${network}" id: "`;
}

/** What every masqComment of this network starts with. */
export function masqCommentPrefix(network: string): string {
  return `name: ${goQuote(network)} id: `;
}
