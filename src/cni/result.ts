/** The result as held internally: always the 1.1.0 shape (SPEC.md "Success"). */
import * as v from "valibot";
import { Cidr, DnsSchema, Int, IpAddr, RouteSchema } from "./schema.ts";

export const InterfaceSchema = v.object({
  name: v.optional(v.string(), ""),
  mac: v.optional(v.string()),
  mtu: v.optional(Int),
  sandbox: v.optional(v.string()),
  socketPath: v.optional(v.string()),
  pciID: v.optional(v.string()),
});
export type Interface = v.InferOutput<typeof InterfaceSchema>;

export const IpConfigSchema = v.object({
  address: Cidr,
  gateway: v.optional(IpAddr),
  interface: v.optional(Int),
});
export type IpConfig = v.InferOutput<typeof IpConfigSchema>;

export type Route = RouteSchema;
export type Dns = DnsSchema;

export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IpConfig[];
  routes?: Route[];
  dns?: Dns;
}

/** 1.0.0 and 1.1.0 on the wire. */
export const Result100Schema = v.object({
  cniVersion: v.optional(v.string(), ""),
  interfaces: v.optional(v.array(InterfaceSchema)),
  ips: v.optional(v.array(IpConfigSchema)),
  routes: v.optional(v.array(RouteSchema)),
  dns: v.optional(DnsSchema),
});

/** 0.3.0, 0.3.1 and 0.4.0 on the wire: ips carry `version`. */
export const Result040Schema = v.object({
  cniVersion: v.optional(v.string(), ""),
  interfaces: v.optional(v.array(InterfaceSchema)),
  ips: v.optional(v.array(v.object({ ...IpConfigSchema.entries, version: v.optional(v.string()) }))),
  routes: v.optional(v.array(RouteSchema)),
  dns: v.optional(DnsSchema),
});

const Ip020Schema = v.object({
  ip: Cidr,
  gateway: v.optional(IpAddr),
  routes: v.optional(v.array(v.object({ dst: Cidr, gw: v.optional(IpAddr) }))),
});

/** 0.1.0 and 0.2.0 on the wire: one address per family. */
export const Result020Schema = v.object({
  cniVersion: v.optional(v.string(), ""),
  ip4: v.optional(Ip020Schema),
  ip6: v.optional(Ip020Schema),
  dns: v.optional(DnsSchema),
});
