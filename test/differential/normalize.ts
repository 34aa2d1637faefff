/**
 * Every transform applied before comparing tscni's output with the reference's. Each one names
 * the reason; nothing else is ever rewritten, so a wrong address, gateway, route or chain still
 * shows up as a difference (test/unit/differential/normalize.test.ts proves that).
 *
 *  1. v1.1.1-vs-v1.9: VERSION. Debian's v1.1.1 says {"cniVersion":"1.0.0"} and lists versions up to
 *     1.0.0; v1.9 (our target) says 1.1.0 and lists 1.1.0 too. → replaced by the v1.9 document.
 *  2. v1.1.1-vs-v1.9: 1.x result key order. v1.1.1 prints struct order, v1.9 sorted keys. → results
 *     are compared as parsed JSON (order-free); tscni's exact bytes are pinned by golden tests.
 *  3. v1.1.1-vs-v1.9: empty dns. v1.1.1 always prints "dns": {} in 1.x-shaped results; v1.9 omits
 *     it. → an empty dns object is dropped from 1.x-shaped results: those labelled 1.x, and
 *     loopback's 1.x-style output labelled with a 0.x version (no ip4/ip6, no `version` in ips).
 *  5. v1.1.1-vs-v1.9: the supported-version list in "incompatible CNI versions" details ends at
 *     1.0.0 in v1.1.1 and at 1.1.0 in v1.9. → the v1.9 list is substituted. Likewise the 1.x
 *     family in "result type supports [1.0.0]" (prevResult family errors) → "[1.0.0 1.1.0]".
 *  4. Kernel-assigned values: MAC addresses and random host-side veth names differ per run.
 *     → "MAC" and "VETH" placeholders (only when the caller asks: bridge results).
 */

export const V19_VERSION_DOC = {
  cniVersion: "1.1.0",
  supportedVersions: ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
};

export interface NormalizeOptions {
  /** Replace MACs and random veth names (bridge). */
  kernelNames?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isVersionDoc(v: Json): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "supportedVersions" in v;
}

function isOneXShaped(v: { [k: string]: Json }): boolean {
  if (typeof v.cniVersion === "string" && v.cniVersion.startsWith("1.")) return true;
  if ("ip4" in v || "ip6" in v) return false;
  const ips = Array.isArray(v.ips) ? v.ips : [];
  return ips.every((ip) => typeof ip === "object" && ip !== null && !Array.isArray(ip) && !("version" in ip));
}

const V111_LIST = '["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0"]';
const V19_LIST = '["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]';

function v19Details(v: { [k: string]: Json }): { [k: string]: Json } {
  const out = { ...v };
  if (typeof out.msg === "string") out.msg = out.msg.replace("result type supports [1.0.0] but", "result type supports [1.0.0 1.1.0] but");
  if (out.msg === "incompatible CNI versions" && typeof out.details === "string") out.details = out.details.replace(V111_LIST, V19_LIST);
  return out;
}

function dropEmptyDns(v: { [k: string]: Json }): { [k: string]: Json } {
  const dns = v.dns;
  if (isOneXShaped(v) && typeof dns === "object" && dns !== null && !Array.isArray(dns)) {
    const empty = Object.values(dns).every((x) => x === "" || (Array.isArray(x) && x.length === 0));
    if (empty) {
      const { dns: _dns, ...rest } = v;
      return rest;
    }
  }
  return v;
}

function replaceKernelNames(text: string): string {
  return text.replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi, "MAC").replace(/\bveth[0-9a-f]{8}\b/g, "VETH");
}

/** Normalises one stdout document (result, error or VERSION) for comparison. */
export function normalizeOutput(stdout: string, opts: NormalizeOptions = {}): Json | string {
  let parsed: Json;
  try {
    parsed = JSON.parse(opts.kernelNames ? replaceKernelNames(stdout) : stdout) as Json;
  } catch {
    return stdout;
  }
  if (isVersionDoc(parsed)) return V19_VERSION_DOC;
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return v19Details(dropEmptyDns(parsed));
  return parsed;
}
