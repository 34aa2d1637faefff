/**
 * ADD's layer 3: IPAM, gateways, the container's addresses and routes, the bridge's gateway
 * addresses, forwarding and masquerade. Each change is queued for undo before it is made.
 */
import { type CmdArgs, CniError, internalError, type Result, type Verb } from "../../src/cni/index.ts";
import { addMasq, allocateIpam, configureIface, enableForwarding, forwardingOn, ipamCall, masqRef, type Rollback, setContainerSysctls } from "../../src/container/index.ts";
import type { FirewallBackend } from "../../src/firewall/index.ts";
import type { IpFamily } from "../../src/ip/index.ts";
import { AF_INET, AF_INET6, AF_UNSPEC, type Link, type Rtnl } from "../../src/netlink/index.ts";
import type { NetNs } from "../../src/sys/index.ts";
import { logStep } from "../../src/log.ts";
import { map } from "../../src/plain-array.ts";
import { bridgeByName, lockBridge } from "./bridge.ts";
import type { BridgeConf } from "./config.ts";
import { addrInPlace, calcGateways, ensureAddr, type GatewayPlan } from "./gateway.ts";
import { ensureVlanGateway } from "./vlan-gateway.ts";

/** Handles on what ADD has made so far. */
export interface Wiring {
  host: Rtnl;
  cont: Rtnl;
  ns: NetNs;
  bridge: Link;
  undo: Rollback;
  /** The masquerade backend, resolved before the first change (ipMasq on L3 only). */
  masq?: FirewallBackend;
}

const errText = (err: unknown): string => CniError.from(err).message;

/** The network's IPAM plugin, in process or exec'd, with this call's stdin and env. */
export function ipam(a: CmdArgs, conf: BridgeConf, command: Verb): Promise<Result | undefined> {
  return ipamCall(a, conf.ipamType, command);
}

/** `container`: the container end as createVeth read it. */
export async function configureLayer3(a: CmdArgs, conf: BridgeConf, w: Wiring, result: Result, container: Link): Promise<void> {
  await allocateIpam(a, conf.ipamType, w.undo, result);
  const plan = calcGateways(result, conf);
  setContainerSysctls(w.cont, w.ns, { name: a.ifname, index: container.index }, conf.raw.enabledad);
  await configureIface(w.cont, w.ns, a.ifname, result, { appended: plan.appended, link: container });
  if (conf.isGateway) await setGateways(a, conf, w, result, plan);
  logStep("addresses");
  if (conf.raw.ipMasq) {
    const addresses = map(result.ips ?? [], (i) => i.address);
    // Resolved once, before the first change (index.ts); never a second time here.
    if (w.masq === undefined) throw internalError("ipMasq: the masquerade backend was not resolved before the ADD");
    await addMasq(w.masq, masqRef(a, conf.network), addresses, w.undo);
  }
}

const ZERO_MAC = "00:00:00:00:00:00";

const FAMILIES: readonly IpFamily[] = [4, 6];

/**
 * Whether setGateways would change nothing and succeed: every gateway address on the bridge and
 * forwarding on for each family that has one. Only reads, so no lock: every ADD after a
 * network's first finds this, and a read error or anything missing leaves the step to the lock.
 * The bridge's addresses come in one dump, of both families when both have gateways.
 */
function gatewaysInPlace(w: Wiring, plan: GatewayPlan): boolean {
  const { 4: v4, 6: v6 } = plan.gateways;
  if (v4.length === 0 && v6.length === 0) return true;
  try {
    const addrs = w.host.addrList({ index: w.bridge.index, family: v6.length === 0 ? AF_INET : v4.length === 0 ? AF_INET6 : AF_UNSPEC });
    for (const family of FAMILIES) {
      const gws = plan.gateways[family];
      for (const gw of gws) if (!addrInPlace(addrs, family, gw)) return false;
      if (gws.length > 0 && !forwardingOn(family, w.host)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Under the bridge lock unless already in place: gateway addresses (or the VLAN gateway), then forwarding. */
async function setGateways(a: CmdArgs, conf: BridgeConf, w: Wiring, result: Result, plan: GatewayPlan): Promise<void> {
  if (conf.raw.vlan === 0 && gatewaysInPlace(w, plan)) return;
  using _lock = await lockBridge(conf.bridge, a.env);
  // The MAC the bridge had before our port joined is pinned, as by the reference. A bridge whose
  // last port went (a failed ADD's rollback) had an all-zero one, which the kernel refuses to
  // pin: it has taken our port's MAC by now.
  const mac = w.bridge.mac !== ZERO_MAC ? w.bridge.mac : bridgeByName(w.host, conf.bridge).mac;
  for (const family of FAMILIES) {
    const gws = plan.gateways[family];
    for (const gw of gws) {
      if (conf.raw.vlan !== 0) setVlanGateway(conf, w, result, family, gw);
      else {
        try {
          ensureAddr(w.host, w.bridge, family, gw, conf.raw.forceAddress, mac);
        } catch (err) {
          throw internalError(`failed to set bridge addr: ${errText(err)}`, err);
        }
      }
    }
    if (gws.length > 0) enableForwarding(family);
  }
}

/** With a VLAN the gateway address goes on the `<bridge>.<vlan>` device, which joins the result. */
function setVlanGateway(conf: BridgeConf, w: Wiring, result: Result, family: IpFamily, gw: string): void {
  const dev = ensureVlanGateway(w.host, w.bridge, conf);
  if (!result.interfaces?.some((i) => i.name === dev.name)) result.interfaces?.push({ name: dev.name, mac: dev.mac });
  try {
    ensureAddr(w.host, dev, family, gw, conf.raw.forceAddress, dev.mac);
  } catch (err) {
    throw internalError(`failed to set vlan interface for bridge with addr: ${errText(err)}`, err);
  }
}
