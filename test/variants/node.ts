/**
 * Node variants: a "node" is a fresh host netns (inside the runner's throwaway one) with its own
 * firewall tools on PATH and its own sysctls; containers are further netns. Every scenario builds
 * one node per implementation, so tscni and the v1.9.1 reference start from identical, empty state
 * and nothing needs cleaning between them. Plugins run in the node with `nsenter --net=<host>`,
 * exactly as a runtime on that node would exec them (CNI_* env, config on stdin).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type CniReply, distDir, exec, type Exec, repoRoot, runCni, SYSTEM_PATH, tempNetns, type TempNetns, wiredNetns } from "../harness.ts";

/** The upstream v1.9.1 binaries, laid out next to the repo as CI does. */
export const V191_DIR = resolve(repoRoot, "../shared/reference-bin/v1.9.1");

export interface Impl {
  name: "tscni" | "v1.9.1";
  /** Holds bridge, host-local and portmap; also the CNI_PATH the chain is given. */
  dir: string;
}

export const TSCNI: Impl = { name: "tscni", dir: distDir };
export const V191: Impl = { name: "v1.9.1", dir: V191_DIR };
export const IMPLS: readonly Impl[] = [TSCNI, V191];

/**
 * Which firewall tools the node's PATH offers the plugins:
 *  system   Debian's defaults (iptables-nft 1.8.9, nft 1.0.6)
 *  legacy   iptables-legacy/ip6tables-legacy first on PATH under the plain names (as
 *           `update-alternatives --set iptables /usr/sbin/iptables-legacy` does), nft still there
 *  nft-only nft and nothing of iptables
 *  none     no firewall tool at all
 */
export type Tools = "system" | "legacy" | "nft-only" | "none";

const LEGACY_NAMES = ["iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"];

function toolDir(root: string, tools: Tools): string {
  if (tools === "system") return SYSTEM_PATH;
  const dir = join(root, "bin");
  mkdirSync(dir);
  if (tools === "legacy") {
    for (const n of LEGACY_NAMES) symlinkSync(`/usr/sbin/${n.replace(/^(ip6?tables)/, "$1-legacy")}`, join(dir, n));
    return `${dir}:${SYSTEM_PATH}`;
  }
  if (tools === "nft-only") symlinkSync("/usr/sbin/nft", join(dir, "nft"));
  return dir;
}

export interface NodeOptions {
  tools?: Tools;
  /** sysctl name -> value, written in the node's host netns before anything else. */
  sysctls?: Record<string, string>;
}

export interface Node extends AsyncDisposable {
  impl: Impl;
  host: TempNetns;
  /** PATH the plugins see on this node. */
  path: string;
  /** A scratch dir of this node (dataDir, lock). */
  work: string;
  /** Runs a shell command in the node's host netns with the system's tools. */
  sh(cmd: string): Promise<Exec>;
  /** Same, failing the test on a non-zero exit; returns stdout. */
  must(cmd: string): Promise<string>;
  /** A fresh container netns (lo up). */
  container(): Promise<TempNetns>;
  /** A netns behind a host veth `<name>`: host side hostIp/24, the other side nsIp/24 + default route. */
  wired(name: string, hostIp: string, nsIp: string): Promise<TempNetns>;
  /** One plugin call as a runtime makes it, in this node. */
  call(plugin: string, c: PluginCall): Promise<CniReply>;
}

export interface PluginCall {
  command: string;
  containerId: string;
  netns: string;
  ifname?: string;
  stdin: object | string;
  env?: Record<string, string | undefined>;
}

export async function makeNode(impl: Impl, opts: NodeOptions = {}): Promise<Node> {
  const work = mkdtempSync(join(tmpdir(), `tscni-variant-${impl.name}-`));
  const host = await tempNetns();
  const owned: TempNetns[] = [host];
  const path = toolDir(work, opts.tools ?? "system");
  const sh = (cmd: string): Promise<Exec> => host.run(["sh", "-c", cmd]);
  const must = async (cmd: string): Promise<string> => {
    const r = await sh(cmd);
    if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  await must("ip link set lo up && sysctl -qw net.ipv4.ip_forward=1");
  for (const [k, v] of Object.entries(opts.sysctls ?? {})) await must(`sysctl -qw ${k}=${v}`);
  const container = async (): Promise<TempNetns> => {
    const ns = await tempNetns({ lo: true });
    owned.push(ns);
    return ns;
  };
  return {
    impl,
    host,
    path,
    work,
    sh,
    must,
    container,
    async wired(name, hostIp, nsIp) {
      const ns = await wiredNetns(name, hostIp, nsIp, host);
      owned.push(ns);
      return ns;
    },
    call(plugin, c) {
      return runCni(join(impl.dir, plugin), {
        command: c.command,
        containerId: c.containerId,
        netns: c.netns,
        ifname: c.ifname ?? "eth0",
        path: impl.dir,
        stdin: c.stdin,
        env: { PATH: path, TSCNI_FIREWALL_LOCK: join(work, "fw.lock"), ...c.env },
        prefix: ["/usr/bin/nsenter", `--net=${host.path}`, "--"],
      });
    },
    [Symbol.asyncDispose]: async () => {
      for (const ns of owned.reverse()) await ns[Symbol.asyncDispose]();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Whether the reference binaries are where CI puts them (a missing oracle fails, never skips). */
export async function referenceAnswers(): Promise<boolean> {
  const r = await exec([join(V191_DIR, "bridge")], { env: { PATH: SYSTEM_PATH, CNI_COMMAND: "VERSION" } });
  return r.code === 0 && r.stdout.includes("1.1.0");
}
