/**
 * The internal 1.1.0 result in every wire version, with the key order and omission rules of the
 * reference's Go types (runtimes cache these documents and hand them back as prevResult, so they
 * must be the bytes Go would write). No schema: every ADD prints through here, parsing is convert.ts.
 */
import * as plain from "../plain-array.ts";
import { ipFamily } from "../ip/index.ts";
import { internalError } from "./errors.ts";
import type { Dns, Interface, IpConfig, Result, Route } from "./result.ts";
import { resultFamily } from "./version.ts";
import { type Block020, givenBlocks, givenIpVersion } from "./given-fields.ts";

type Json = Record<string, unknown>;

const nonEmpty = (s: string | undefined): s is string => s !== undefined && s !== "";
const nonZero = (n: number | undefined): n is number => n !== undefined && n !== 0;

function dnsIsEmpty(d: Dns | undefined): boolean {
  return (
    d === undefined ||
    ((d.nameservers ?? []).length === 0 &&
      !nonEmpty(d.domain) &&
      (d.search ?? []).length === 0 &&
      (d.options ?? []).length === 0)
  );
}

/** Builds an object from [key, value, keep] triples, in the given order. */
function pick(fields: [string, unknown, boolean][]): Json {
  const out: Json = {};
  for (const [k, val, keep] of fields) if (keep) out[k] = val;
  return out;
}

function routeFields(r: Route): [string, unknown, boolean][] {
  return [
    ["dst", r.dst, true],
    ["gw", r.gw, nonEmpty(r.gw)],
    ["mtu", r.mtu, nonZero(r.mtu)],
    ["advmss", r.advmss, nonZero(r.advmss)],
    ["priority", r.priority, nonZero(r.priority)],
    ["table", r.table, r.table !== undefined],
    ["scope", r.scope, r.scope !== undefined],
  ];
}

function dnsFields(d: Dns): [string, unknown, boolean][] {
  return [
    ["nameservers", d.nameservers, (d.nameservers ?? []).length > 0],
    ["domain", d.domain, nonEmpty(d.domain)],
    ["search", d.search, (d.search ?? []).length > 0],
    ["options", d.options, (d.options ?? []).length > 0],
  ];
}

// types100's documents come out with their keys sorted at every level (libcni marshals them
// through a map): the fields below are written in that order, each set only when Go keeps it, so
// no per-object key sort runs on every ADD (test/unit/cni/convert.test.ts checks the order).
function iface100(i: Interface): Json {
  const out: Json = {};
  if (nonEmpty(i.mac)) out.mac = i.mac;
  if (nonZero(i.mtu)) out.mtu = i.mtu;
  out.name = i.name;
  if (nonEmpty(i.pciID)) out.pciID = i.pciID;
  if (nonEmpty(i.sandbox)) out.sandbox = i.sandbox;
  if (nonEmpty(i.socketPath)) out.socketPath = i.socketPath;
  return out;
}

function ip100(c: IpConfig): Json {
  const out: Json = { address: c.address };
  if (nonEmpty(c.gateway)) out.gateway = c.gateway;
  if (c.interface !== undefined) out.interface = c.interface;
  return out;
}

function route100(r: Route): Json {
  const out: Json = {};
  if (nonZero(r.advmss)) out.advmss = r.advmss;
  out.dst = r.dst;
  if (nonEmpty(r.gw)) out.gw = r.gw;
  if (nonZero(r.mtu)) out.mtu = r.mtu;
  if (nonZero(r.priority)) out.priority = r.priority;
  if (r.scope !== undefined) out.scope = r.scope;
  if (r.table !== undefined) out.table = r.table;
  return out;
}

function dns100(d: Dns): Json {
  const out: Json = {};
  if (nonEmpty(d.domain)) out.domain = d.domain;
  if ((d.nameservers ?? []).length > 0) out.nameservers = d.nameservers;
  if ((d.options ?? []).length > 0) out.options = d.options;
  if ((d.search ?? []).length > 0) out.search = d.search;
  return out;
}

function to100(r: Result, version: string): Json {
  const out: Json = { cniVersion: version };
  if (r.dns !== undefined && !dnsIsEmpty(r.dns)) out.dns = dns100(r.dns);
  if (r.interfaces !== undefined && r.interfaces.length > 0) out.interfaces = plain.map(r.interfaces, iface100);
  if (r.ips !== undefined && r.ips.length > 0) out.ips = plain.map(r.ips, ip100);
  if (r.routes !== undefined && r.routes.length > 0) out.routes = plain.map(r.routes, route100);
  return out;
}

function to040(r: Result, version: string): Json {
  const iface = (i: Interface): Json =>
    pick([
      ["name", i.name, true],
      ["mac", i.mac, nonEmpty(i.mac)],
      ["sandbox", i.sandbox, nonEmpty(i.sandbox)],
    ]);
  const ip = (c: IpConfig, index: number): Json =>
    pick([
      ["version", givenIpVersion(r, index) ?? String(ipFamily(c.address)), true],
      ["interface", c.interface, c.interface !== undefined],
      ["address", c.address, true],
      ["gateway", c.gateway, nonEmpty(c.gateway)],
    ]);
  return pick([
    ["cniVersion", version, true],
    ["interfaces", plain.map(r.interfaces ?? [], iface), (r.interfaces ?? []).length > 0],
    ["ips", plain.map(r.ips ?? [], ip), (r.ips ?? []).length > 0],
    ["routes", plain.map(r.routes ?? [], (x) => pick(routeFields(x))), (r.routes ?? []).length > 0],
    ["dns", pick(dnsFields(r.dns ?? {})), true],
  ]);
}

/** A 0.1.0/0.2.0 result printed again with its blocks as given (given-fields.ts). */
function given020(r: Result, version: string, blocks: Block020[]): Json {
  const out: Json = { cniVersion: version };
  for (const b of blocks) {
    const c = r.ips?.[b.ip];
    if (c === undefined) continue;
    const routes = plain.map((r.routes ?? []).slice(b.from, b.to), (x) => pick([["dst", x.dst, true], ["gw", x.gw, nonEmpty(x.gw)]]));
    out[b.key] = pick([
      ["ip", c.address, true],
      ["gateway", c.gateway, nonEmpty(c.gateway)],
      ["routes", routes, routes.length > 0],
    ]);
  }
  out.dns = pick(dnsFields(r.dns ?? {}));
  return out;
}

function to020(r: Result, version: string): Json {
  const blocks = givenBlocks(r);
  if (blocks !== undefined) return given020(r, version, blocks);
  const ips = r.ips ?? [];
  const v4 = ips.find((c) => ipFamily(c.address) === 4);
  const v6 = ips.find((c) => ipFamily(c.address) === 6);
  if (v4 === undefined && v6 === undefined) throw internalError("cannot convert: no valid IP addresses");
  const family = (c: IpConfig | undefined, want4: boolean): Json | undefined => {
    if (c === undefined) return undefined;
    const routes = (r.routes ?? [])
      .filter((x) => (ipFamily(x.dst) === 4) === want4)
      .map((x) => pick([["dst", x.dst, true], ["gw", x.gw, nonEmpty(x.gw)]]));
    return pick([
      ["ip", c.address, true],
      ["gateway", c.gateway, nonEmpty(c.gateway)],
      ["routes", routes, routes.length > 0],
    ]);
  };
  const ip4 = family(v4, true);
  const ip6 = family(v6, false);
  return pick([
    ["cniVersion", version, true],
    ["ip4", ip4, ip4 !== undefined],
    ["ip6", ip6, ip6 !== undefined],
    ["dns", pick(dnsFields(r.dns ?? {})), true],
  ]);
}

/**
 * The wire object for `version`, ready for goMarshalIndent. An empty version means the config
 * had none: the reference then prints the 0.1.0 form labelled "0.1.0".
 */
export function resultToWire(r: Result, version: string): Json {
  const label = version === "" ? "0.1.0" : version;
  switch (resultFamily(version)) {
    case "100":
      return to100(r, label);
    case "040":
      return to040(r, label);
    case "020":
      return to020(r, label);
    default:
      throw internalError(`unsupported CNI result version "${version}"`);
  }
}
