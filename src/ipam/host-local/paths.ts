/**
 * Path safety: whatever a network name, container ID or ifname holds, tscni reads and writes only
 * inside `<dataDir>/<network>/`. The dispatcher already applies the skel rules; these checks repeat
 * them for the in-process path and for names that are safe for skel yet not as a path component.
 */
import { validateContainerId, validateIfName } from "../../cni/env.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import { isValidName } from "../../cni/names.ts";
import { resolvePath } from "../../sys/index.ts";

/** NAME_MAX on Linux: a longer component cannot be created anyway. */
const MAX_COMPONENT = 255;

/** `<dataDir>/<network>`, refusing a network name that is not one plain path component. */
export function networkDir(dataDir: string, network: string): string {
  if (!isValidName(network) || network === "." || network === ".." || network.length > MAX_COMPONENT) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", network);
  }
  const base = resolvePath(dataDir);
  const dir = resolvePath(base, network);
  if (!dir.startsWith(base === "/" ? base : `${base}/`)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", network);
  }
  return dir;
}

/**
 * Container ID and ifname only ever go into file contents, but a CR, LF or NUL in them could
 * forge another reservation's content: apply skel's rules again (codes 4) for in-process callers.
 */
export function checkAttachment(containerId: string, ifname: string): void {
  validateContainerId(containerId);
  validateIfName(ifname);
  if (ifname.includes("\u0000")) {
    throw new CniError(ErrorCode.InvalidEnvironment, "interface name contains / or : or whitespace characters");
  }
}
