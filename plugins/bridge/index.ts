/**
 * bridge: connects a container to a Linux bridge on the host through a veth pair, with addresses
 * from IPAM. Differences from the reference are deliberate and listed in docs/compatibility.md:
 * the veth is created in place, the port wait is event driven, a failed ADD is rolled back
 * completely, DEL never leaks masquerade rules, L2 CHECK can pass, and GC is implemented.
 */
import {
  type CmdArgs,
  CniError,
  delegate,
  gcAttachments,
  goField,
  internalError,
  parsePrevResult,
  ProblemList,
  type Result,
} from "../../src/cni/index.ts";
import { gcMasqFor, masqBackend, masqRef, openContainerNetns, type PluginEntry, removeMasq, Rollback } from "../../src/container/index.ts";
import { logStep } from "../../src/log.ts";
import { type Link, Rtnl } from "../../src/netlink/index.ts";
import { attach } from "./attach.ts";
import { ensureBridge, lockBridge, readyBridge } from "./bridge.ts";
import { checkAttachment } from "./check.ts";
import { type BridgeConf, checkBridgeAdd, decodeBridgeConfig, describeBridge, loadForArgs } from "./config.ts";
import { deleteContainerLink } from "./detach.ts";
import { ipam } from "./layer3.ts";

const warn = (line: string): void => void process.stderr.write(`${line}\n`);
const errText = (err: unknown): string => CniError.from(err).message;

/** Every check first; then the bridge, the attachment, and on failure every step undone. */
async function add(a: CmdArgs): Promise<Result> {
  const conf = checkBridgeAdd(a.config, a.args, ProblemList.strict());
  if (conf === undefined) throw internalError("invalid configuration");
  const masq = conf.isLayer3 && conf.raw.ipMasq ? await masqBackend(conf.raw.ipMasqBackend) : undefined;
  using host = Rtnl.open();
  const bridge = await setupBridge(host, conf, a);
  logStep("bridge");
  using ns = openContainerNetns(a.netns);
  using cont = Rtnl.open(ns);
  logStep("netns");
  const undo = new Rollback("bridge", warn);
  try {
    return await attach(a, conf, { host, cont, ns, bridge, undo, masq });
  } catch (err) {
    await undo.run();
    throw err;
  }
}

/** The bridge is reused as it is when ready, else created or fixed under its lock, so concurrent ADDs agree on it. */
async function setupBridge(host: Rtnl, conf: BridgeConf, a: CmdArgs): Promise<Link> {
  const req = { name: conf.bridge, mtu: conf.raw.mtu, promisc: conf.raw.promiscMode, vlanFiltering: conf.vlanFiltering };
  const ready = readyBridge(host, req);
  if (ready !== undefined) return ready;
  using _lock = await lockBridge(conf.bridge, a.env);
  return ensureBridge(host, req);
}

/**
 * The firewall rules, the container's link and the addresses, each even if another is gone.
 * The firewall goes first although the reference removes it last: a commit that deletes rules
 * leaves the kernel a grace period to wait before it frees them, and this process cannot exit
 * before that wait ends (closing an nf_tables socket waits for it). Started before the link's
 * deletion, which waits for a grace period of its own, both end together (docs/performance.md
 * "Waits"). A masquerade failure is still reported last, after the link and the addresses.
 */
async function del(a: CmdArgs): Promise<void> {
  const conf = loadForArgs(a);
  const masqFailure = await removeFirewall(a, conf);
  if (a.netns !== "") deleteContainerLink(a.netns, a.ifname, conf.bridge);
  if (conf.isLayer3) await ipam(a, conf, "DEL");
  if (masqFailure !== undefined) throw masqFailure.error;
}

/** The spoof check (a failure is a warning) and the masquerade (a failure is returned). */
async function removeFirewall(a: CmdArgs, conf: BridgeConf): Promise<{ error: unknown } | undefined> {
  if (conf.raw.macspoofchk) {
    const { teardownSpoofCheck } = await import("../../src/firewall/index.ts");
    await teardownSpoofCheck({ containerId: a.containerId, ifname: a.ifname }).catch((err: unknown) => warn(errText(err)));
  }
  if (!conf.isLayer3 || !conf.raw.ipMasq) return undefined;
  try {
    // By deterministic names: works when the link or the whole netns is already gone.
    await removeMasq(masqRef(a, conf.network));
    return undefined;
  } catch (error) {
    return { error };
  }
}

/** IPAM's own CHECK, then the prevResult's bridge, veth pair, addresses and routes as they are. */
async function check(a: CmdArgs): Promise<void> {
  const conf = loadForArgs(a);
  using ns = openContainerNetns(a.netns);
  if (conf.isLayer3) await ipam(a, conf, "CHECK");
  const raw = goField(a.config, "prevResult");
  if (raw === undefined || raw === null) throw internalError("Required prevResult missing");
  const prev = parsePrevResult(raw, a.cniVersion);
  using host = Rtnl.open();
  using cont = Rtnl.open(ns);
  checkAttachment({ host, cont, netns: a.netns, ifname: a.ifname, conf }, prev);
}

/** IPAM's GC and the masquerade rules of attachments not in the valid list; errors joined. */
async function gc(a: CmdArgs): Promise<void> {
  const conf = loadForArgs(a);
  const errors: string[] = [];
  if (conf.isLayer3) await ipam(a, conf, "GC").catch((err: unknown) => void errors.push(errText(err)));
  const valid = gcAttachments(a.config).map((x) => ({ containerId: x.containerID, ifname: x.ifname }));
  await gcMasqFor(conf.network, valid).catch((err: unknown) => void errors.push(errText(err)));
  if (errors.length > 0) throw internalError(errors.join("; "));
}

/** The bridge itself has no state to report: its IPAM plugin's STATUS answers. */
async function status(a: CmdArgs): Promise<void> {
  const conf = decodeBridgeConfig(a.config);
  const type = conf.ipam?.type ?? "";
  if (type !== "") await delegate({ plugin: type, command: "STATUS", stdin: a.stdin, env: a.env, cniVersion: a.cniVersion });
}

export const bridge: PluginEntry = {
  name: "bridge",
  add,
  del,
  check,
  gc,
  status,
  checkConfig: async (config, problems) => void checkBridgeAdd(config, "", problems),
  describe: async (config) => describeBridge(config),
};
