/**
 * portmap's prevResult as v1.9.1 reads it (libcni's version.ParsePrevResult, then types100's
 * decoder): the version the result is checked against, and Go's own text for a wrongly typed
 * member (`json: cannot unmarshal string into Go struct field Result.interfaces of type
 * types100.Interface`). Only the 1.0.0/1.1.0 family is typed here; the semantics (addresses,
 * indexes) stay with src/cni's parseResult.
 */
import * as v from "valibot";
import { decodeConfig, GoDns, goInt, goNullableSlice, goString, goStruct } from "../../src/cni/index.ts";

const GoInterface = goStruct("Interface", "types100.Interface", {
  name: v.optional(goString()),
  mac: v.optional(goString()),
  mtu: v.optional(goInt()),
  sandbox: v.optional(goString()),
  socketPath: v.optional(goString()),
  pciID: v.optional(goString()),
});

// IPConfig and Route decode through their own UnmarshalJSON: Go names the holder's field then.
const GoIpConfig = goStruct(
  "",
  "types100.ipConfig",
  { interface: v.optional(goInt()), address: v.optional(goString()), gateway: v.optional(goString("net.IP")) },
  true,
);
const GoRoute = goStruct(
  "",
  "types.route",
  { dst: v.optional(goString()), gw: v.optional(goString("net.IP")), mtu: v.optional(goInt()), advmss: v.optional(goInt()), priority: v.optional(goInt()), table: v.optional(goInt()), scope: v.optional(goInt()) },
  true,
);

const GoResult100 = goStruct("Result", "types100.Result", {
  cniVersion: v.optional(goString()),
  interfaces: v.optional(goNullableSlice("[]*types100.Interface", GoInterface)),
  ips: v.optional(goNullableSlice("[]*types100.IPConfig", GoIpConfig)),
  routes: v.optional(goNullableSlice("[]*types.Route", GoRoute)),
  dns: v.optional(GoDns),
});

/** Go's type errors for a 1.0.0/1.1.0 prevResult, with `context` in front; nothing else. */
export function checkPrevResultTypes(raw: Record<string, unknown>, context: string): void {
  decodeConfig(GoResult100, raw, context);
}
