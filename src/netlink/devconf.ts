/**
 * A device's IP settings and a family's forwarding over rtnetlink, for the few sysctls a pod ADD
 * reads or sets on every call. Why not /proc/sys/net: each path there is looked up among the
 * dentries of EVERY network namespace's sysctl tree (they share one name hash, and the
 * per-netns visibility check runs on each), so an access costs ~4 us on a node with no pods and
 * ~30 us (host side) to ~60 us (a pod's first) with 250 pod namespaces (docs/performance.md,
 * "Density: /proc/sys"). A netlink request costs the same with 1 or 1000 namespaces.
 *
 * The values are the same ones the /proc/sys files show and set: IFLA_INET_CONF is ipv4's devconf
 * array (`conf/<dev>/*`), IFLA_INET6_CONF ipv6's, and RTM_GETNETCONF for NETCONFA_IFINDEX_ALL
 * answers `net.ipv4.ip_forward` / `net.ipv6.conf.all.forwarding`.
 */
import { AttrTable, type Writer } from "./attrs.ts";
import {
  AF_INET,
  AF_INET6,
  IFLA_AF_SPEC,
  IFLA_INET_CONF,
  IFLA_INET6_CONF,
  NETCONFA_FORWARDING,
  NETCONFA_IFINDEX,
  NETCONFA_IFINDEX_ALL,
  NLM_F_REQUEST,
  RTM_GETNETCONF,
  RTM_NEWNETCONF,
} from "./constants.ts";
import { type Link, linkAfSpec } from "./link-decode.ts";
import { body, type Message, type Request } from "./message.ts";

/** ipv4 settings to set on a device: [IPV4_DEVCONF_* number, value] pairs. */
export type Ipv4Conf = readonly (readonly [key: number, value: number])[];

/**
 * IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF { key: u32 value, … } } } of an RTM_NEWLINK on an
 * existing device: the kernel stores each value and marks it set, exactly as a write of
 * /proc/sys/net/ipv4/conf/<dev>/<key> does (for the keys tscni sets, that write does nothing more).
 */
export function writeIpv4Conf(w: Writer, conf: Ipv4Conf): void {
  w.attr(IFLA_AF_SPEC, (spec) =>
    spec.attr(AF_INET, (inet) =>
      inet.attr(IFLA_INET_CONF, (c) => {
        for (const [key, value] of conf) c.attrU32(key, value);
      }),
    ),
  );
}

/**
 * One ipv6 setting (a DEVCONF_* number) from a link reply's IFLA_AF_SPEC; undefined when the
 * reply has none (ipv6 off on the device or the node, or a kernel that did not send it).
 */
export function ipv6ConfOf(afSpec: Uint8Array | undefined, key: number): number | undefined {
  if (afSpec === undefined) return undefined;
  const inet6 = new AttrTable(afSpec).get(AF_INET6);
  if (inet6 === undefined) return undefined;
  const conf = new AttrTable(inet6).get(IFLA_INET6_CONF);
  const at = key * 4;
  if (conf === undefined || at + 4 > conf.byteLength) return undefined;
  return (conf[at] ?? 0) | ((conf[at + 1] ?? 0) << 8) | ((conf[at + 2] ?? 0) << 16) | ((conf[at + 3] ?? 0) << 24);
}

/** One ipv6 setting of a link as its RTM_GETLINK reply showed it (see ipv6ConfOf). */
export function linkIpv6Conf(link: Link, key: number): number | undefined {
  return ipv6ConfOf(linkAfSpec(link), key);
}

/** `ip -4|-6 netconf show dev all`: RTM_GETNETCONF { family } NETCONFA_IFINDEX = all. */
export function netconfAllRequest(family: number): Request {
  return {
    type: RTM_GETNETCONF,
    flags: NLM_F_REQUEST,
    body: body((w) => {
      // struct netconfmsg { u8 ncm_family }, padded to 4 bytes.
      w.u8(family).u8(0).u16(0);
      w.attrI32(NETCONFA_IFINDEX, NETCONFA_IFINDEX_ALL);
    }),
  };
}

/** NETCONFA_FORWARDING of an RTM_NEWNETCONF reply; undefined when it carries none. */
export function netconfForwarding(m: Message): number | undefined {
  if (m.type !== RTM_NEWNETCONF) return undefined;
  return new AttrTable(m.payload.subarray(4)).u32(NETCONFA_FORWARDING);
}
