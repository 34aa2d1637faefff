/**
 * loopback: brings `lo` up in the container (ADD), down again (DEL), and checks it (CHECK).
 * CNI_IFNAME and CNI_ARGS are ignored, as in the reference (lo is the only interface it touches).
 */
// src/cni's files, not its index.ts: an exec evaluates every module it imports, and the barrel
// would bring the schemas, converters and delegation code loopback never runs (docs/performance.md).
import { type CmdArgs, internalError, labelOnly, type Result } from "../../src/cni/core.ts";
import { AF_INET, AF_INET6, type Addr, LinkRtnl } from "../../src/netlink/links.ts";
import { NetNs, NetNsError } from "../../src/sys/netns.ts";
import type { PluginEntry } from "../../src/container/index.ts";
import { isPlainConfig } from "./plain-config.ts";

const LO = "lo";

/**
 * 127.0.0.0/8 or ::1, read from the kernel's own address (its text is canonical: dotted IPv4,
 * RFC 5952 IPv6), so the ADD never loads an IP parser (ipaddr.js: ~1.7 MiB per exec).
 */
function isLoopbackAddress(a: Addr): boolean {
  return a.family === AF_INET ? a.ip.startsWith("127.") : a.ip === "::1";
}

/**
 * Opens the container netns and a netlink socket inside it; the caller closes both in a
 * `finally`. Not `using`: its dispose helper is a JS-written builtin that JSC compiles from source
 * on first use, in every exec (docs/performance.md, per-exec floor).
 */
function openContainer(path: string): { ns: NetNs; nl: LinkRtnl; close(): void } {
  const ns = NetNs.open(path);
  try {
    const nl = LinkRtnl.open(ns);
    return { ns, nl, close: () => (nl.close(), ns.close()) };
  } catch (err) {
    ns.close();
    throw err;
  }
}

// Loops rather than find/filter/map here and in the netlink decoders: JSC compiles each of those
// builtins from source on its first use in a process, ~0.1 M instructions apiece
// (docs/performance.md), and a loopback exec would use each once.
function firstOfFamily(addrs: Addr[], family: number): Addr | undefined {
  for (const a of addrs) if (a.family === family) return a;
  return undefined;
}

function loopbackResult(args: CmdArgs, addrs: Addr[]): Result {
  const ips: { address: string; interface: number }[] = [];
  for (const a of [firstOfFamily(addrs, AF_INET), firstOfFamily(addrs, AF_INET6)]) if (a !== undefined) ips.push({ address: a.cidr, interface: 0 });
  return labelOnly({
    cniVersion: args.cniVersion,
    interfaces: [{ name: LO, mac: "00:00:00:00:00:00", sandbox: args.netns }],
    ips,
  });
}

/** The prevResult to hand back, if any, once the config has been decoded as Go decodes it. */
async function decodedPrevResult(args: CmdArgs): Promise<Result | undefined> {
  // A config with nothing to decode (containerd's) skips the decode: plain-config.ts says why.
  if (isPlainConfig(args.config)) return undefined;
  // The config module (valibot, the NetConf schema) loads here: DEL and CHECK never need it.
  const { decodeConfig, LoopbackConfig } = await import("./config.ts");
  const conf = decodeConfig(LoopbackConfig, args.config, "failed to parse network config: ");
  // Only a chained loopback gets a prevResult: the result schemas load then, not on every ADD.
  // Through the barrel, which the CLI already imports dynamically: a module of its own as the
  // target would be one more entry for the bundler, and so more, smaller chunks for every plugin.
  return conf.prevResult === undefined ? undefined : (await import("../../src/cni/index.ts")).parsePrevResult(conf.prevResult, args.cniVersion, "failed to parse prevResult: ");
}

async function add(args: CmdArgs): Promise<Result> {
  const prev = await decodedPrevResult(args);
  const c = openContainer(args.netns);
  try {
    const lo = c.nl.linkState(LO);
    c.nl.linkSetUp(lo.index);
    const addrs = c.nl.addrList({ index: lo.index });
    for (const foreign of addrs) if (!isLoopbackAddress(foreign)) throw internalError(`loopback interface found with non-loopback address ${JSON.stringify(foreign.ip)}`);
    return prev ?? loopbackResult(args, addrs);
  } finally {
    c.close();
  }
}

async function del(args: CmdArgs): Promise<void> {
  if (args.netns === "") return;
  let c;
  try {
    c = openContainer(args.netns);
  } catch (err) {
    // containerd's second DEL comes after the netns is gone: nothing left to do.
    if (err instanceof NetNsError && err.kind === "not-found") return;
    throw err;
  }
  try {
    c.nl.linkSetDown(c.nl.linkState(LO).index);
  } finally {
    c.close();
  }
}

async function check(args: CmdArgs): Promise<void> {
  const c = openContainer(args.netns);
  try {
    if (!c.nl.linkState(LO).up) throw internalError("loopback interface is down");
  } finally {
    c.close();
  }
}

export const loopback: PluginEntry = {
  name: "loopback",
  add,
  del,
  check,
  checkConfig: async (config, problems) => void problems.decode((await import("./config.ts")).LoopbackConfig, config, "failed to parse network config: "),
  describe: async () => ({ devices: [], ipam: [], firewall: [], createsInterface: false }),
};
