/**
 * With `vlan` and isGateway the gateway address cannot sit on the bridge itself: it goes on a
 * veth `<bridge>.<vlan>` in the host whose peer is a bridge port in that VLAN. Created once per
 * bridge and VLAN, never removed (like the bridge).
 */
import { CniError, internalError } from "../../src/cni/index.ts";
import { goQuote } from "../../src/gofmt/index.ts";
import type { Link, Rtnl } from "../../src/netlink/index.ts";
import type { BridgeConf } from "./config.ts";
import { setupPort } from "./port.ts";
import { randomVethName } from "../../src/container/index.ts";

export function vlanGatewayName(bridge: string, vlan: number): string {
  return `${bridge}.${vlan}`;
}

function create(nl: Rtnl, bridge: Link, conf: BridgeConf, name: string): Link {
  const peer = randomVethName();
  const mtu = bridge.mtu > 0 ? bridge.mtu : undefined;
  try {
    nl.vethAdd({ name, mtu, peer: { name: peer, mtu } });
  } catch (err) {
    throw internalError(`faild to create vlan gateway ${goQuote(name)}: ${CniError.from(err).message}`, err);
  }
  const port = nl.linkGet(peer);
  nl.linkSetUp(port.index);
  setupPort(nl, port, bridge, {
    hairpin: false,
    isolated: false,
    vlan: conf.raw.vlan,
    trunk: [],
    preserveDefaultVlan: conf.raw.preserveDefaultVlan,
  });
  const dev = nl.linkGet(name);
  try {
    nl.linkSetUp(dev.index);
  } catch (err) {
    throw internalError(`failed to up ${goQuote(name)}: ${CniError.from(err).message}`, err);
  }
  return dev;
}

/** The VLAN gateway device, created when missing. Errors: `failed to create vlan interface: …`. */
export function ensureVlanGateway(nl: Rtnl, bridge: Link, conf: BridgeConf): Link {
  const name = vlanGatewayName(bridge.name, conf.raw.vlan);
  try {
    return nl.linkFind(name) ?? create(nl, bridge, conf, name);
  } catch (err) {
    throw internalError(`failed to create vlan interface: ${CniError.from(err).message}`, err);
  }
}
