import { networkAddress, parseCIDRLiteral } from "../ip/index.ts";
import { attrMap, attrs, getU32 } from "./attrs.ts";
import {
  AF_INET,
  AF_INET6,
  NLM_F_ACK,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTAX_ADVMSS,
  RTAX_MTU,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_F_LOOKUP_TABLE,
  RTM_NEWROUTE,
  RTN_UNICAST,
  RTN_UNSPEC,
  RTPROT_BOOT,
  RTPROT_UNSPEC,
} from "./constants.ts";
import type { Message, Request } from "./message.ts";
import { body } from "./message.ts";
import type { Writer } from "./attrs.ts";
import { formatIp, ipBytes, parseIp } from "./wire.ts";

const RTMSG_LEN = 12;

/** A route to add or delete, in `ip route` terms. Unset fields take iproute2's defaults. */
export interface RouteSpec {
  /** Destination CIDR; undefined or "0.0.0.0/0" / "::/0" for a default route. */
  dst?: string;
  /** Needed only when neither dst nor gw tells the family. */
  family?: number;
  gw?: string;
  oif?: number;
  /** Routing table; default main (254). */
  table?: number;
  /** `metric`. */
  priority?: number;
  /** RT_SCOPE_*; default universe with a gateway, link without (v4), universe for v6. */
  scope?: number;
  /** RTPROT_*; default boot, as `ip route add` and the reference's library. */
  protocol?: number;
  /** RTN_*; default unicast. */
  type?: number;
  prefsrc?: string;
  mtu?: number;
  advmss?: number;
}

/** A route as the kernel reports it. */
export interface Route {
  family: number;
  /** "10.2.0.0/16"; "0.0.0.0/0" or "::/0" for a default route. */
  dst: string;
  gw?: string;
  oif?: number;
  table: number;
  priority?: number;
  scope: number;
  protocol: number;
  type: number;
  prefsrc?: string;
  mtu?: number;
  advmss?: number;
}

interface Dst {
  family: number;
  bytes?: Uint8Array;
  len: number;
}

function parseDst(spec: RouteSpec): Dst {
  if (spec.dst !== undefined) {
    const c = parseCIDRLiteral(spec.dst);
    if (c === undefined) throw new Error(`invalid route destination ${JSON.stringify(spec.dst)}`);
    // A default route sends no RTA_DST: its family is all that is needed.
    if (c.prefix === 0) return { family: c.ip.kind() === "ipv4" ? AF_INET : AF_INET6, len: 0 };
    // The kernel wants the network address; "10.2.3.4/16" means 10.2.0.0/16 like `ip route` reads it.
    const { family, bytes } = ipBytes(networkAddress(c.ip, c.prefix));
    return { family, bytes, len: c.prefix };
  }
  const family = spec.gw !== undefined ? parseIp(spec.gw).family : spec.family;
  if (family === undefined) throw new Error("route needs a dst, a gw or a family");
  return { family, len: 0 };
}

/** struct rtmsg { family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags } */
function writeRtMsg(w: Writer, family: number, dstLen: number, table: number, protocol: number, scope: number, type: number, flags = 0): void {
  w.u8(family).u8(dstLen).u8(0).u8(0).u8(table).u8(protocol).u8(scope).u8(type).u32(flags);
}

function writeRoute(w: Writer, spec: RouteSpec, dst: Dst, del: boolean): void {
  const table = spec.table ?? RT_TABLE_MAIN;
  const hasGw = spec.gw !== undefined;
  let scope = spec.scope;
  if (scope === undefined) {
    if (dst.family === AF_INET6) scope = RT_SCOPE_UNIVERSE;
    else if (del) scope = RT_SCOPE_NOWHERE;
    else scope = hasGw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  }
  const protocol = spec.protocol ?? (del ? RTPROT_UNSPEC : RTPROT_BOOT);
  const type = spec.type ?? (del ? RTN_UNSPEC : RTN_UNICAST);
  writeRtMsg(w, dst.family, dst.len, table < 256 ? table : RT_TABLE_UNSPEC, protocol, scope, type);
  if (dst.bytes) w.attrBytes(RTA_DST, dst.bytes);
  if (spec.gw !== undefined) w.attrBytes(RTA_GATEWAY, parseIp(spec.gw).bytes);
  if (spec.priority !== undefined) w.attrU32(RTA_PRIORITY, spec.priority);
  if (spec.prefsrc !== undefined) w.attrBytes(RTA_PREFSRC, parseIp(spec.prefsrc).bytes);
  if (table >= 256) w.attrU32(RTA_TABLE, table);
  if (spec.oif !== undefined) w.attrU32(RTA_OIF, spec.oif);
  if (spec.mtu !== undefined || spec.advmss !== undefined) {
    w.attr(RTA_METRICS, (m) => {
      if (spec.mtu !== undefined) m.attrU32(RTAX_MTU, spec.mtu);
      if (spec.advmss !== undefined) m.attrU32(RTAX_ADVMSS, spec.advmss);
    });
  }
}

export type RouteAddMode = "create" | "append" | "replace";

const ADD_FLAGS: Record<RouteAddMode, number> = {
  create: NLM_F_CREATE | NLM_F_EXCL,
  append: NLM_F_CREATE | NLM_F_APPEND,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
};

/** `ip route add|append|replace <dst> via <gw> dev <oif> [metric] [table] [scope] [proto] [mtu] [advmss]`. */
export function routeAddRequest(spec: RouteSpec, mode: RouteAddMode = "create"): Request {
  const dst = parseDst(spec);
  return {
    type: RTM_NEWROUTE,
    flags: NLM_F_REQUEST | NLM_F_ACK | ADD_FLAGS[mode],
    body: body((w) => writeRoute(w, spec, dst, false)),
  };
}

/** `ip route del <dst> [via <gw>] [dev <oif>] [metric]`. */
export function routeDelRequest(spec: RouteSpec): Request {
  const dst = parseDst(spec);
  return { type: RTM_DELROUTE, flags: NLM_F_REQUEST | NLM_F_ACK, body: body((w) => writeRoute(w, spec, dst, true)) };
}

/** `ip [-4|-6] route show table <table>`; strict checking lets the kernel filter by table. */
export function routeDumpRequest(family: number, table: number | undefined = RT_TABLE_MAIN): Request {
  return {
    type: RTM_GETROUTE,
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    body: body((w) => {
      writeRtMsg(w, family, 0, 0, 0, 0, 0);
      if (table !== undefined) w.attrU32(RTA_TABLE, table);
    }),
  };
}

/**
 * `ip route get <ip>`: the kernel resolves the route it would use for a packet to `ip` and
 * answers with one RTM_NEWROUTE (dst/32 or /128, oif, prefsrc). For IPv4, RTM_F_LOOKUP_TABLE
 * makes it report the table the lookup hit rather than main, as iproute2 asks; IPv6 with
 * strict checking refuses any flag but RTM_F_FIB_MATCH, so iproute2 and we send none there.
 */
export function routeGetRequest(ip: string): Request {
  const dst = parseIp(ip);
  const flags = dst.family === AF_INET ? RTM_F_LOOKUP_TABLE : 0;
  return {
    type: RTM_GETROUTE,
    flags: NLM_F_REQUEST,
    body: body((w) => {
      writeRtMsg(w, dst.family, dst.bytes.byteLength * 8, 0, 0, 0, 0, flags);
      w.attrBytes(RTA_DST, dst.bytes);
    }),
  };
}

export function decodeRoute(m: Message): Route {
  const p = m.payload;
  if (p.byteLength < RTMSG_LEN) throw new Error("short rtmsg");
  const family = p[0] ?? 0;
  const dstLen = p[1] ?? 0;
  const a = attrMap(p.subarray(RTMSG_LEN));
  const dstBytes = a.get(RTA_DST);
  const zero = family === AF_INET ? "0.0.0.0" : "::";
  const r: Route = {
    family,
    dst: `${dstBytes ? formatIp(dstBytes) : zero}/${dstLen}`,
    table: getU32(a.get(RTA_TABLE)) ?? p[4] ?? 0,
    protocol: p[5] ?? 0,
    scope: p[6] ?? 0,
    type: p[7] ?? 0,
  };
  const gw = a.get(RTA_GATEWAY);
  if (gw) r.gw = formatIp(gw);
  const oif = getU32(a.get(RTA_OIF));
  if (oif !== undefined) r.oif = oif;
  const prio = getU32(a.get(RTA_PRIORITY));
  if (prio !== undefined) r.priority = prio;
  const src = a.get(RTA_PREFSRC);
  if (src) r.prefsrc = formatIp(src);
  const metrics = a.get(RTA_METRICS);
  if (metrics) {
    for (const x of attrs(metrics)) {
      if (x.type === RTAX_MTU) r.mtu = getU32(x.data);
      else if (x.type === RTAX_ADVMSS) r.advmss = getU32(x.data);
    }
  }
  return r;
}
