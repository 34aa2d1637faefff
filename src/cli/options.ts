/**
 * Where the operator-facing commands look for things: flag, then the variable cnitool and the
 * runtimes use, then the usual default.
 */
import { hexDigest } from "../hash.ts";
import { resolve } from "node:path";
import { DEFAULT_CACHE_DIR } from "../runtime/index.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CONF_DIR = "/etc/cni/net.d";
export const DEFAULT_BIN_DIR = "/opt/cni/bin";

const pick = (flag: string | undefined, envValue: string | undefined, fallback: string): string =>
  flag !== undefined && flag !== "" ? flag : envValue !== undefined && envValue !== "" ? envValue : fallback;

export const confDir = (flag: string | undefined, env: Env): string => pick(flag, env.NETCONFPATH, DEFAULT_CONF_DIR);
export const binDirs = (flag: string | undefined, env: Env): string[] =>
  pick(flag, env.CNI_PATH, DEFAULT_BIN_DIR).split(":").filter((d) => d !== "");
export const cacheDir = (flag: string | undefined, env: Env): string => pick(flag, env.TSCNI_CACHE_DIR, DEFAULT_CACHE_DIR);

/** cnitool's container ID for a netns: "cnitool-" + the first 10 bytes of sha512(absolute path). */
export function cnitoolContainerId(netns: string): string {
  return `cnitool-${hexDigest("sha512", resolve(netns)).slice(0, 20)}`;
}

/** CNI_ARGS text ("K=V;K=V") as pairs, refusing what cnitool refuses. */
export function parseCniArgsPairs(text: string): [string, string][] {
  if (text === "") return [];
  return text.split(";").map((pair) => {
    const kv = pair.split("=");
    if (kv.length !== 2 || kv[0] === "" || kv[1] === "") throw new Error(`invalid CNI_ARGS pair ${JSON.stringify(pair)}`);
    return [kv[0] ?? "", kv[1] ?? ""];
  });
}

/** "CID:IFNAME" → an attachment; a bare container ID matches any ifname. */
export function parseAttachment(text: string): { containerID: string; ifname: string } {
  const i = text.lastIndexOf(":");
  if (i <= 0) return { containerID: text, ifname: "" };
  return { containerID: text.slice(0, i), ifname: text.slice(i + 1) };
}

/** The directory flags every command that reads the node's CNI setup takes. */
export const dirArgs = {
  "conf-dir": { type: "string", description: "conf dir (default: $NETCONFPATH or /etc/cni/net.d)" },
  "bin-dir": { type: "string", description: "plugin dir(s), colon-separated (default: $CNI_PATH or /opt/cni/bin)" },
  "cache-dir": { type: "string", description: "libcni cache dir; results in <dir>/results (default: $TSCNI_CACHE_DIR or /var/lib/cni)" },
} as const;
