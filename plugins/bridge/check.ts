/**
 * CHECK: the prevResult's bridge, container interface and host veth must still
 * be there and fit together, and its addresses and routes must be in the container. One change:
 * an L2 network (no `ipam.type`) is checked without delegating to an IPAM plugin, so it can pass.
 */
import { internalError, type Interface, type Result } from "../../src/cni/index.ts";
import { validateExpectedIps, validateExpectedRoutes } from "../../src/container/index.ts";
import type { Link, Rtnl } from "../../src/netlink/index.ts";
import type { BridgeConf } from "./config.ts";

interface Found {
  found: boolean;
  index: number;
  peerIndex: number;
  masterIndex: number;
}

const NOT_FOUND: Found = { found: false, index: 0, peerIndex: 0, masterIndex: 0 };

function validateInterface(nl: Rtnl, intf: Interface, expectInSandbox: boolean): Link {
  if (intf.name === "") throw internalError("Interface name missing ");
  const link = nl.linkFind(intf.name);
  if (link === undefined) throw internalError(`Interface name ${intf.name} not found`);
  const sandbox = intf.sandbox ?? "";
  if (expectInSandbox && sandbox === "") throw internalError(`Interface ${intf.name} is expected to be in a sandbox`);
  if (!expectInSandbox && sandbox !== "") throw internalError(`Interface ${intf.name} should not be in sandbox`);
  return link;
}

function validateBridge(nl: Rtnl, intf: Interface, conf: BridgeConf): Found {
  const link = validateInterface(nl, intf, false);
  if (link.kind !== "bridge") throw internalError(`Interface ${intf.name} does not have link type of bridge`);
  if (intf.mac && intf.mac !== link.mac) throw internalError(`Bridge interface ${intf.name} Mac doesn't match: ${intf.mac}`);
  const promisc = link.promiscuity !== 0;
  if (promisc !== conf.raw.promiscMode) {
    throw internalError(
      `Bridge interface ${intf.name} configured Promisc Mode ${conf.raw.promiscMode} doesn't match current state: ${promisc} `,
    );
  }
  return { found: true, index: link.index, peerIndex: 0, masterIndex: link.master ?? 0 };
}

function vethPeer(link: Link): number {
  if (link.link === undefined) throw internalError(`Unable to obtain veth peer index for veth ${link.name}`);
  return link.link;
}

function validateContainer(cont: Rtnl, intf: Interface): Found {
  const link = validateInterface(cont, intf, true);
  if (link.kind !== "veth") throw internalError(`Error: Container interface ${link.name} not of type veth`);
  const peerIndex = vethPeer(link);
  if (intf.mac && intf.mac !== link.mac) {
    throw internalError(`Interface ${intf.name} Mac ${intf.mac} doesn't match container Mac: ${link.mac}`);
  }
  return { found: true, index: link.index, peerIndex, masterIndex: 0 };
}

function validateVeth(nl: Rtnl, intf: Interface, br: Found, cont: Found): Found {
  const link = validateInterface(nl, intf, false);
  if (link.kind !== "veth") return NOT_FOUND; // not created by CNI: skipped
  const peerIndex = vethPeer(link);
  if (link.index !== cont.peerIndex || cont.index !== peerIndex || (link.master ?? 0) !== br.index) return NOT_FOUND;
  if (intf.mac && intf.mac !== link.mac) throw internalError(`Interface ${intf.name} Mac doesn't match: ${intf.mac} not found`);
  return { found: true, index: link.index, peerIndex, masterIndex: link.master ?? 0 };
}

export interface CheckContext {
  host: Rtnl;
  cont: Rtnl;
  netns: string;
  ifname: string;
  conf: BridgeConf;
}

export function checkAttachment(ctx: CheckContext, res: Result): void {
  const { host, cont, conf } = ctx;
  let brMap: Interface = { name: "" };
  let contMap: Interface = { name: "" };
  for (const intf of res.interfaces ?? []) {
    if (intf.name === conf.bridge) brMap = intf;
    else if (intf.name === ctx.ifname && intf.sandbox === ctx.netns) contMap = intf;
  }
  const br = validateBridge(host, brMap, conf);
  if (ctx.netns !== (contMap.sandbox ?? "")) {
    throw internalError(`Sandbox in prevResult ${contMap.sandbox ?? ""} doesn't match configured netns: ${ctx.netns}`);
  }
  const contFound = validateContainer(cont, contMap);
  let veth = NOT_FOUND;
  for (const intf of res.interfaces ?? []) {
    if (intf.name === brMap.name || intf.name === contMap.name) continue;
    veth = validateVeth(host, intf, br, contFound);
    if (veth.found) break;
  }
  if (!br.found) throw internalError(`CNI created bridge ${conf.bridge} in host namespace was not found`);
  if (!contFound.found) throw internalError(`CNI created interface in container ${ctx.ifname} not found`);
  if (!veth.found) throw internalError(`CNI veth created for bridge ${conf.bridge} was not found`);
  validateExpectedIps(cont, ctx.ifname, res);
  validateExpectedRoutes(cont, res);
}
