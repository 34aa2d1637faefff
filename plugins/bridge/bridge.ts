/**
 * The bridge device and the per-bridge lock that serialises ensure-bridge / ensure-address
 * across concurrent ADDs: runtimes start many pods of one network at once.
 */
import { hexDigest } from "../../src/hash.ts";
import { CniError, type Env, internalError } from "../../src/cni/index.ts";
import { Errno, type HeldLock, joinPath, lockFile, sysctlSet } from "../../src/sys/index.ts";
import { DEVCONF_ACCEPT_RA, IFF_PROMISC, isNetlinkErrno, type Link, linkIpv6Conf, type Rtnl } from "../../src/netlink/index.ts";
import { goQuote } from "../../src/gofmt/index.ts";

export const DEFAULT_LOCK_DIR = "/run/tscni";
/** Long enough for 50 pods queueing behind one another's bridge setup. */
const LOCK_TIMEOUT_MS = 60_000;

/** `<dir>/bridge-<name>.lock`; names that are not plain file names are hashed. */
export function bridgeLockPath(bridge: string, env: Env): string {
  const dir = env.TSCNI_LOCK_DIR !== undefined && env.TSCNI_LOCK_DIR !== "" ? env.TSCNI_LOCK_DIR : DEFAULT_LOCK_DIR;
  const plain = /^[A-Za-z0-9_.-]+$/.test(bridge) && bridge !== "." && bridge !== "..";
  const key = plain ? bridge : hexDigest("sha256", bridge).slice(0, 16);
  // Not node:path: importing it compiles Bun's JS implementation in every bridge exec.
  return joinPath(dir, `bridge-${key}.lock`);
}

export function lockBridge(bridge: string, env: Env): Promise<HeldLock> {
  return lockFile(bridgeLockPath(bridge, env), { timeoutMs: LOCK_TIMEOUT_MS, dirMode: 0o755, fileMode: 0o600 });
}

const errText = (err: unknown): string => CniError.from(err).message;

/**
 * The link if the kernel has it. A lookup the kernel refuses (a name over IFNAMSIZ: ERANGE) is
 * "not found": the add then meets the same refusal and words it as the reference, which adds first.
 */
function findLink(nl: Rtnl, name: string): Link | undefined {
  try {
    return nl.linkFind(name);
  } catch {
    return undefined;
  }
}

export interface BridgeRequest {
  name: string;
  mtu: number;
  promisc: boolean;
  vlanFiltering: boolean;
}

/** Looks the bridge up again: it must exist and be of kind bridge. */
export function bridgeByName(nl: Rtnl, name: string): Link {
  let link: Link;
  try {
    link = nl.linkGet(name);
  } catch (err) {
    throw internalError(`could not lookup ${goQuote(name)}: ${errText(err)}`, err);
  }
  if (link.kind !== "bridge") throw internalError(`${goQuote(name)} already exists but is not a bridge`);
  return link;
}

function add(nl: Rtnl, req: BridgeRequest): void {
  try {
    nl.bridgeAdd({
      name: req.name,
      mtu: req.mtu > 0 ? req.mtu : undefined,
      vlanFiltering: req.vlanFiltering ? true : undefined,
    });
  } catch (err) {
    // Made meanwhile (by another network's ADD, not under our lock): reused like any existing one.
    if (!isNetlinkErrno(err, Errno.EEXIST)) throw internalError(`could not add ${goQuote(req.name)}: ${errText(err)}`, err);
  }
}

/**
 * As the reference: add (an existing link keeps its MTU and VLAN filtering), promiscuous mode,
 * then the link must be a bridge. The link is looked up first, so that reusing the bridge (every
 * ADD but a node's first) costs one round trip instead of an EEXIST and a lookup, and mode that is
 * already on is not set again (the kernel would change nothing).
 */
function createOrReuse(nl: Rtnl, req: BridgeRequest): Link {
  let found = findLink(nl, req.name);
  if (found === undefined) add(nl, req);
  if (req.promisc && (found === undefined || (found.flags & IFF_PROMISC) === 0)) {
    const index = found?.index ?? nl.linkFind(req.name)?.index;
    try {
      if (index !== undefined) nl.linkSet(index, { promisc: true });
    } catch (err) {
      throw internalError(`could not set promiscuous mode on ${goQuote(req.name)}: ${errText(err)}`, err);
    }
    found = undefined;
  }
  const br = found !== undefined && found.kind === "bridge" ? found : bridgeByName(nl, req.name);
  noRouterAdvertisements(br);
  if (!br.up) nl.linkSetUp(br.index);
  return br;
}

/**
 * The bridge's routes are ours: no router advertisements. Written only when the bridge's own
 * RTM_GETLINK reply does not already show accept_ra 0 (every ADD but a bridge's first): the value
 * is the same whoever writes it, and a /proc/sys path costs more with every pod's netns on the
 * node (src/netlink/devconf.ts).
 */
function noRouterAdvertisements(bridge: Link): void {
  if (linkIpv6Conf(bridge, DEVCONF_ACCEPT_RA) === 0) return;
  try {
    sysctlSet(`net/ipv6/conf/${bridge.name}/accept_ra`, "0");
  } catch {
    // ignored, as by the reference (IPv6 may be off)
  }
}

/**
 * The bridge when it is ready as it is (a bridge, up, promiscuous if asked): what createOrReuse
 * would return, after its one write (accept_ra=0, the same value whoever writes it). Every ADD
 * but a network's first finds this, so it needs no lock; anything else (or a failed lookup) is
 * undefined and left to ensureBridge under the lock.
 */
export function readyBridge(nl: Rtnl, req: BridgeRequest): Link | undefined {
  const found = findLink(nl, req.name);
  if (found === undefined || found.kind !== "bridge" || !found.up) return undefined;
  if (req.promisc && (found.flags & IFF_PROMISC) === 0) return undefined;
  noRouterAdvertisements(found);
  return found;
}

/** Creates the bridge or reuses it; errors wrapped `failed to create bridge "<br>": …`. */
export function ensureBridge(nl: Rtnl, req: BridgeRequest): Link {
  try {
    return createOrReuse(nl, req);
  } catch (err) {
    throw internalError(`failed to create bridge ${goQuote(req.name)}: ${errText(err)}`, err);
  }
}
