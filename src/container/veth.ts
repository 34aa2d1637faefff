/**
 * A veth pair created in place: one RTM_NEWLINK from the host creates the host end
 * `veth<8 hex>` and the container end directly inside the container netns (no create-then-move,
 * so no rcu_barrier under rtnl per pod).
 */
import { CniError, internalError } from "../cni/index.ts";
import { goQuote } from "../gofmt/index.ts";
import { isNetlinkErrno, type Link, type Rtnl } from "../netlink/index.ts";
import { Errno, type NetNs, sysctlSet } from "../sys/index.ts";

const NAME_ATTEMPTS = 10;

/** `veth` and 8 random hex digits (not through Buffer: its JS code is compiled on first use). */
export function randomVethName(): string {
  const n = crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return `veth${n.toString(16).padStart(8, "0")}`;
}

export interface VethRequest {
  ifname: string;
  mtu: number;
  /**
   * The bridge the host end joins in the creating request itself: there is no moment in which
   * the pair exists off the bridge (a process killed there would leave a veth that DEL, which
   * only removes interfaces whose peer is on the bridge, does not recognise).
   */
  master?: number;
  /** Container end's MAC (already validated), or undefined for a kernel-chosen one. */
  mac?: string;
}

export interface Veth {
  host: Link;
  container: Link;
}

/** A pair as createVethPair leaves it: the host end by name and index, not read back. */
export interface VethPair {
  hostName: string;
  /** The host end's ifindex, from the container end's IFLA_LINK (its peer); undefined if not reported. */
  hostIndex: number | undefined;
  container: Link;
}

/**
 * Creates the pair; the host end is created up (with accept_ra=0 written after, as the reference
 * does after its `ip link set up`), the container end stays down.
 * `host` and `cont` are netlink handles in the host and container netns.
 */
export function createVeth(host: Rtnl, cont: Rtnl, ns: NetNs, req: VethRequest, makeName: () => string = randomVethName): Veth {
  const pair = createVethPair(host, cont, ns, req, makeName);
  try {
    return { host: host.linkGet(pair.hostName), container: pair.container };
  } catch (err) {
    deleteHostEnd(host, pair.hostName);
    throw err;
  }
}

/**
 * createVeth without reading the host end back, for a caller that reads it later anyway (bridge
 * ADD's port wait): one link lookup and decode less.
 */
export function createVethPair(host: Rtnl, cont: Rtnl, ns: NetNs, req: VethRequest, makeName: () => string = randomVethName): VethPair {
  const mtu = req.mtu > 0 ? req.mtu : undefined;
  for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
    const name = makeName();
    try {
      // txqlen 0 on the host end, 1000 (kernel default) in the container: as v1.9.1 leaves them.
      host.vethAdd({ name, mtu, txqlen: 0, master: req.master, up: true, peer: { name: req.ifname, mtu, mac: req.mac, netnsFd: ns.fd } });
    } catch (err) {
      if (!isNetlinkErrno(err, Errno.EEXIST)) {
        throw internalError(`failed to make veth pair: ${CniError.from(err).message}`, err);
      }
      if (host.linkFind(name) !== undefined) continue; // the random host name was taken
      throw internalError(`container veth name (${goQuote(req.ifname)}) peer provided (${goQuote(name)}) already exists`, err);
    }
    try {
      return finish(cont, name, req.ifname);
    } catch (err) {
      deleteHostEnd(host, name);
      throw err;
    }
  }
  throw internalError("failed to find a unique veth name");
}

function deleteHostEnd(host: Rtnl, name: string): void {
  const created = host.linkFind(name);
  if (created !== undefined) host.linkDel(created.index);
}

function finish(cont: Rtnl, name: string, ifname: string): VethPair {
  try {
    sysctlSet(`net/ipv6/conf/${name}/accept_ra`, "0");
  } catch {
    // ignored, as by the reference
  }
  const container = cont.linkGet(ifname);
  return { hostName: name, hostIndex: container.link, container };
}
