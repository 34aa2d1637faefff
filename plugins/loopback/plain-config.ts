/**
 * Whether a loopback config needs its Go-rules decode at all. Go decodes the config into libcni's
 * types.NetConf and ignores keys it does not declare, so a config whose only NetConf keys are
 * cniVersion, name and type, spelt exactly and holding strings, can neither fail that decode nor
 * set anything loopback reads (a prevResult). containerd's loopback network
 * (`{"cniVersion":"1.0.0","name":"cni-loopback","type":"loopback"}`) is such a config, and the
 * decode it skips (valibot and the NetConf schema loaded, then run) is ~1 M instructions, a third
 * of loopback ADD's verb (docs/performance.md, per-exec floor). Any other config takes the decode.
 */

import { goFoldKey } from "../../src/cni/core.ts";

/** types.NetConf's keys in lower case, as config.ts's schema declares them (a unit test checks). */
export const NETCONF_KEYS_LOWER: readonly string[] = ["cniversion", "name", "type", "capabilities", "ipam", "dns", "prevresult", "cni.dev/valid-attachments"];

export function isPlainConfig(config: Record<string, unknown>): boolean {
  for (const key of Object.keys(config)) {
    if (key === "cniVersion" || key === "name" || key === "type") {
      if (typeof config[key] !== "string") return false;
    } else if (NETCONF_KEYS_LOWER.includes(goFoldKey(key))) {
      return false;
    }
  }
  return true;
}
