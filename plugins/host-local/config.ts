/** host-local's configuration schema (and the inferred type of the same name). */
export { HostLocalNetConf, IpamConfig, RangeConfig, RouteConfig } from "../../src/ipam/index.ts";
