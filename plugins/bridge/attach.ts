/**
 * ADD after the bridge exists: the veth pair in place, its host end as a bridge port, the
 * spoof check, layer 3 (or just the link up for L2), the wait until the port is up, and the
 * result as the reference reports it.
 */
import { type CmdArgs, type Result, resultToWire } from "../../src/cni/index.ts";
import { containerLinkUp, containerMac, createVeth } from "../../src/container/index.ts";
import { logStep } from "../../src/log.ts";
import { bridgeByName } from "./bridge.ts";
import { type BridgeConf, dnsConfigured } from "./config.ts";
import { configureLayer3, type Wiring } from "./layer3.ts";
import { setupPort, waitPortUp } from "./port.ts";

export async function attach(a: CmdArgs, conf: BridgeConf, w: Wiring): Promise<Result> {
  const mac = containerMac(conf.mac);
  const veth = createVeth(w.host, w.cont, w.ns, { ifname: a.ifname, mtu: conf.raw.mtu, mac, master: w.bridge.index });
  w.undo.push("delete veth", () => {
    const link = w.host.linkFind(veth.host.name);
    if (link !== undefined) w.host.linkDel(link.index);
  });
  setupPort(w.host, veth.host, w.bridge, {
    hairpin: conf.raw.hairpinMode,
    isolated: conf.raw.portIsolation,
    vlan: conf.raw.vlan,
    trunk: conf.vlans,
    preserveDefaultVlan: conf.raw.preserveDefaultVlan,
  });
  logStep("veth");
  const result: Result = {
    cniVersion: "1.1.0",
    interfaces: [
      { name: w.bridge.name, mac: w.bridge.mac },
      { name: veth.host.name, mac: veth.host.mac },
      { name: a.ifname, mac: veth.container.mac, sandbox: a.netns },
    ],
  };
  if (conf.raw.macspoofchk) {
    const { setupSpoofCheck, teardownSpoofCheck } = await import("../../src/firewall/index.ts");
    const ref = { containerId: a.containerId, ifname: a.ifname };
    w.undo.push("spoof-check teardown", () => teardownSpoofCheck(ref));
    await setupSpoofCheck({ ...ref, hostIfname: veth.host.name, containerMac: veth.container.mac });
  }
  if (conf.isLayer3) await configureLayer3(a, conf, w, result, veth.container);
  else if (!conf.raw.disableContainerInterface) containerLinkUp(w.cont, a.ifname);

  // The host end as the wait last read it, else read again: its MAC in the result is the kernel's now.
  const hostNow = !conf.raw.disableContainerInterface ? await waitPortUp(w.host, veth.host) : undefined;
  logStep("wait");
  const [brIf, hostIf] = result.interfaces ?? [];
  if (hostIf) hostIf.mac = (hostNow ?? w.host.linkGet(veth.host.index)).mac;
  if (brIf) brIf.mac = bridgeByName(w.host, conf.bridge).mac;
  if (dnsConfigured(conf)) result.dns = conf.raw.dns;
  // A result the runtime's version cannot express (L2 at 0.1.0/0.2.0) fails here, still undoable.
  resultToWire(result, a.cniVersion);
  return result;
}
