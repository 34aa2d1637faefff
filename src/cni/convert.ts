/**
 * A result of any wire version (a prevResult, a delegate's reply) parsed into the internal 1.1.0
 * shape; the other direction is wire.ts.
 */
import type * as v from "valibot";
import { goFoldKey } from "./chars.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { decodeConfig } from "./decode.ts";
import { type IpConfig, type Result, Result020Schema, Result040Schema, Result100Schema, type Route } from "./result.ts";
import { FAMILY_VERSIONS, type ResultFamily, resultFamily } from "./version.ts";
import { goText } from "./ip-text.ts";
import { type Block020, keepBlocks, keepIpVersions } from "./given-fields.ts";

export { resultToWire } from "./wire.ts";

type Json = Record<string, unknown>;

function from020(w: v.InferOutput<typeof Result020Schema>, version: string): Result {
  const ips: IpConfig[] = [];
  const routes: Route[] = [];
  const blocks: Block020[] = [];
  for (const [key, fam] of [["ip4", w.ip4], ["ip6", w.ip6]] as const) {
    if (fam === undefined) continue;
    const from = routes.length;
    ips.push(fam.gateway === undefined ? { address: fam.ip } : { address: fam.ip, gateway: fam.gateway });
    for (const rt of fam.routes ?? []) routes.push(rt.gw === undefined ? { dst: rt.dst } : { dst: rt.dst, gw: rt.gw });
    blocks.push({ key, ip: ips.length - 1, from, to: routes.length });
  }
  return keepBlocks(compact({ cniVersion: version, ips, routes, dns: w.dns }), blocks);
}

/**
 * The result's addresses as Go holds them once parsed: printed again they are Go's texts (ip-text.ts).
 * In place: the decoder's output is a fresh copy.
 */
function goTexts(ips: IpConfig[] | undefined, routes: Route[] | undefined): void {
  for (const c of ips ?? []) {
    c.address = goText(c.address, true);
    if (c.gateway !== undefined) c.gateway = goText(c.gateway, false);
  }
  for (const r of routes ?? []) {
    r.dst = goText(r.dst, true);
    if (r.gw !== undefined) r.gw = goText(r.gw, false);
  }
}

function compact(r: Result): Result {
  const out: Result = { cniVersion: r.cniVersion };
  goTexts(r.ips, r.routes);
  if (r.interfaces && r.interfaces.length > 0) out.interfaces = r.interfaces;
  if (r.ips && r.ips.length > 0) out.ips = r.ips;
  if (r.routes && r.routes.length > 0) out.routes = r.routes;
  if (r.dns !== undefined) out.dns = r.dns;
  return out;
}

/**
 * Parses a result of any version into the internal shape. `configVersion` selects the decoder
 * family like the reference does; a result whose own cniVersion is of another family is refused.
 * An empty cniVersion means the config's, unless `keepEmptyVersion` (a prevResult Go decoded to "").
 */
export function parseResult(raw: unknown, configVersion: string, context = "", keepEmptyVersion = false): Result {
  const family: ResultFamily = resultFamily(configVersion) ?? "100";
  const obj = (raw ?? {}) as Json;
  const given = typeof obj.cniVersion === "string" && (obj.cniVersion !== "" || keepEmptyVersion);
  const own = given ? (obj.cniVersion as string) : configVersion;
  if (!FAMILY_VERSIONS[family].includes(own === "" ? "0.1.0" : own)) {
    throw new CniError(
      ErrorCode.Internal,
      `${context}result type supports [${FAMILY_VERSIONS[family].join(" ")}] but unmarshalled CNIVersion is "${own}"`,
    );
  }
  switch (family) {
    case "020":
      return from020(decodeConfig(Result020Schema, raw, context, ErrorCode.Internal, true), own);
    case "040": {
      const w = decodeConfig(Result040Schema, raw, context, ErrorCode.Internal, true);
      const ips = (w.ips ?? []).map(({ version: _version, ...ip }) => ip);
      return keepIpVersions(compact({ ...w, cniVersion: own, ips }), (w.ips ?? []).map((ip) => ip.version ?? ""));
    }
    case "100":
      return compact({ ...decodeConfig(Result100Schema, raw, context, ErrorCode.Internal, true), cniVersion: own });
  }
}

/**
 * The prevResult with the cniVersion Go ends up with: libcni's ParsePrevResult sets a missing or
 * empty `CNIVersion` key to the config's version, then the decoder reads the keys in sorted order,
 * so the last one that matches "cniVersion" as Go folds keys (any case; `ſ` is an `s`) wins (an
 * explicit "" stays "").
 */
export function goPrevResult(raw: Record<string, unknown>, configVersion: string): Record<string, unknown> {
  const withVersion: Record<string, unknown> = { ...raw };
  if (!("CNIVersion" in withVersion) || withVersion.CNIVersion === "") withVersion.CNIVersion = configVersion;
  // Loops, not filter/sort/at: JSC compiles those builtins on first use (every ADD with a prevResult).
  let last: string | undefined;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(withVersion)) {
    if (goFoldKey(k) !== "cniversion") out[k] = withVersion[k];
    else if (last === undefined || k > last) last = k;
  }
  out.cniVersion = withVersion[last ?? "CNIVersion"];
  return out;
}

/**
 * A config's prevResult, parsed with the library's rules (its version as goPrevResult reads it)
 * and its "could not parse prevResult" prefix.
 */
export function parsePrevResult(raw: unknown, configVersion: string, context = ""): Result {
  const isObject = raw !== null && typeof raw === "object" && !Array.isArray(raw);
  const versioned = isObject ? goPrevResult(raw as Record<string, unknown>, configVersion) : raw;
  return parseResult(versioned, configVersion, `${context}could not parse prevResult: `, isObject);
}
