/**
 * ADD after the bridge exists: the veth pair in place, its host end as a bridge port, the
 * spoof check, layer 3 (or just the link up for L2), the wait until the port is up, and the
 * result as the reference reports it.
 */
import { type CmdArgs, type Result, resultToWire } from "../../src/cni/index.ts";
import { containerLinkUp, containerMac, createVethPair } from "../../src/container/index.ts";
import type { Link } from "../../src/netlink/index.ts";
import { logStep } from "../../src/log.ts";
import { bridgeByName } from "./bridge.ts";
import { type BridgeConf, dnsConfigured } from "./config.ts";
import { configureLayer3, type Wiring } from "./layer3.ts";
import { type PortRequest, setupPort, waitPortUp } from "./port.ts";

export async function attach(a: CmdArgs, conf: BridgeConf, w: Wiring): Promise<Result> {
  const mac = containerMac(conf.mac);
  const veth = createVethPair(w.host, w.cont, w.ns, { ifname: a.ifname, mtu: conf.raw.mtu, mac, master: w.bridge.index });
  w.undo.push("delete veth", () => {
    const link = w.host.linkFind(veth.hostName);
    if (link !== undefined) w.host.linkDel(link.index);
  });
  const port: PortRequest = {
    hairpin: conf.raw.hairpinMode,
    isolated: conf.raw.portIsolation,
    vlan: conf.raw.vlan,
    trunk: conf.vlans,
    preserveDefaultVlan: conf.raw.preserveDefaultVlan,
  };
  const waits = !conf.raw.disableContainerInterface;
  // A port setting asked for (hairpin, isolation, VLANs) is made before the container is up, from
  // the host end read now. A default port's settings are checked on the port wait's first read
  // instead: the same writes if the kernel shows anything on (a new port has both off), and the
  // host end is read once per ADD instead of twice.
  const settingsFirst = !waits || port.hairpin || port.isolated || port.vlan !== 0 || port.trunk.length > 0;
  const hostLink = settingsFirst ? w.host.linkGet(veth.hostName) : undefined;
  if (hostLink !== undefined) setupPort(w.host, hostLink, w.bridge, port);
  logStep("veth");
  const result: Result = {
    cniVersion: "1.1.0",
    interfaces: [
      { name: w.bridge.name, mac: w.bridge.mac },
      // The host end's MAC as the kernel has it at the end (set below).
      { name: veth.hostName, mac: hostLink?.mac ?? "" },
      { name: a.ifname, mac: veth.container.mac, sandbox: a.netns },
    ],
  };
  if (conf.raw.macspoofchk) {
    const { setupSpoofCheck, teardownSpoofCheck } = await import("../../src/firewall/index.ts");
    const ref = { containerId: a.containerId, ifname: a.ifname };
    w.undo.push("spoof-check teardown", () => teardownSpoofCheck(ref));
    await setupSpoofCheck({ ...ref, hostIfname: veth.hostName, containerMac: veth.container.mac });
  }
  if (conf.isLayer3) await configureLayer3(a, conf, w, result, veth.container);
  else if (!conf.raw.disableContainerInterface) containerLinkUp(w.cont, a.ifname);

  // The host end as the wait last read it, else read again: its MAC in the result is the kernel's now.
  const checkSettings = settingsFirst ? undefined : (link: Link) => setupPort(w.host, link, w.bridge, port);
  const hostNow = waits ? await waitPortUp(w.host, veth.hostIndex ?? veth.hostName, checkSettings) : undefined;
  logStep("wait");
  const [brIf, hostIf] = result.interfaces ?? [];
  if (hostIf) hostIf.mac = (hostNow ?? w.host.linkGet(veth.hostIndex ?? veth.hostName)).mac;
  if (brIf) brIf.mac = bridgeByName(w.host, conf.bridge).mac;
  if (dnsConfigured(conf)) result.dns = conf.raw.dns;
  // A result the runtime's version cannot express (L2 at 0.1.0/0.2.0) fails here, still undoable.
  resultToWire(result, a.cniVersion);
  return result;
}
