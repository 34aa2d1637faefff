/**
 * A Kubernetes cluster simulated with network namespaces, inside the throwaway host (which plays
 * the "hub": the L2 underlay bridge and the fake API server live there). Each node is a netns on
 * the underlay with its own dirs, tscni installed as the DaemonSet's init container does, and the
 * compiled `tscni agent` running in it; pods are netns attached with `tscni run` inside the node.
 * Every process is ours and ended by PID; the throwaway host ends whatever is left.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { distDir, exec, type Exec, SYSTEM_PATH, tempNetns, type TempNetns } from "../harness.ts";
import { makePki } from "./certs.ts";
import { FakeApiServer } from "./fake-apiserver.ts";
import { agentArgs, initArgs, type Mounts } from "./manifest.ts";

export const TSCNI = join(distDir, "tscni");
export const HUB_V4 = "192.168.50.254";
export const HUB_V6 = "fd50::fe";
const TOKEN = "sim-token";

export interface SimNode {
  name: string;
  index: number;
  ns: TempNetns;
  ip4: string;
  ip6: string;
  podCIDRs: string[];
  dir: string;
  bin: string;
  conf: string;
  cache: string;
  ipam: string;
  status: string;
  callLog: string;
  uninstallFile: string;
  /** The DaemonSet's mount paths → this node's dirs. */
  mounts: Mounts;
  /** The agent's PATH (default: the system's, which has iptables; the image's has no firewall tool). */
  agentPath?: string;
  agent?: Bun.Subprocess<"ignore", "ignore", "pipe">;
  agentLog: string[];
}

export async function must(r: Promise<Exec>, what: string): Promise<string> {
  const out = await r;
  if (out.code !== 0) throw new Error(`${what} exited ${out.code}: ${out.stderr}${out.stdout}`);
  return out.stdout;
}

export class SimCluster {
  readonly nodes = new Map<string, SimNode>();
  readonly api: FakeApiServer;
  readonly #dir: string;
  readonly #tokenFile: string;
  readonly #caFile: string;

  private constructor(dir: string, api: FakeApiServer) {
    this.#dir = dir;
    this.api = api;
    this.#tokenFile = join(dir, "token");
    this.#caFile = join(dir, "ca.crt");
  }

  /** The underlay bridge in the hub and the fake API server on it. */
  static async create(dir: string): Promise<SimCluster> {
    for (const argv of [
      ["ip", "link", "add", "underlay", "type", "bridge"],
      ["ip", "addr", "add", `${HUB_V4}/24`, "dev", "underlay"],
      ["ip", "addr", "add", `${HUB_V6}/64`, "dev", "underlay", "nodad"],
      ["ip", "link", "set", "underlay", "up"],
    ]) await must(exec(argv), argv.join(" "));
    const pki = makePki([HUB_V4]);
    const sim = new SimCluster(dir, new FakeApiServer(pki, HUB_V4, TOKEN));
    writeFileSync(sim.#tokenFile, `${TOKEN}\n`);
    writeFileSync(sim.#caFile, pki.caPem);
    return sim;
  }

  /** A node netns on the underlay (192.168.50.<index>, fd50::<index>) with tscni installed. */
  async addNode(name: string, index: number, opts: { prepare?: (n: SimNode) => void; config?: Record<string, string> } = {}): Promise<SimNode> {
    const ns = await tempNetns({ lo: true });
    const dir = join(this.#dir, name);
    const n: SimNode = {
      name,
      index,
      ns,
      ip4: `192.168.50.${index}`,
      ip6: `fd50::${index}`,
      podCIDRs: [`10.244.${index}.0/24`, `fd00:10:244:${index}::/64`],
      dir,
      bin: join(dir, "bin"),
      conf: join(dir, "net.d"),
      cache: join(dir, "cache"),
      ipam: join(dir, "ipam"),
      status: join(dir, "agent-status.json"),
      callLog: join(dir, "calls.jsonl"),
      uninstallFile: join(dir, "etc-tscni", "uninstall"),
      mounts: {},
      agentLog: [],
    };
    n.mounts = {
      "/host/opt/cni/bin": n.bin,
      "/host/etc/cni/net.d": n.conf,
      "/var/lib/cni": n.cache,
      "/run/netns": join(dir, "netns"),
      "/var/run/netns": join(dir, "netns"),
      "/run/tscni": join(dir, "run-tscni"),
      "/var/log/tscni": join(dir, "log"),
      "/etc/tscni": join(dir, "etc-tscni"),
    };
    n.status = join(dir, "run-tscni", "agent-status.json");
    n.callLog = join(dir, "log", "calls.jsonl");
    for (const d of [n.bin, n.conf, n.cache, n.ipam, ...Object.values(n.mounts)]) mkdirSync(d, { recursive: true });
    writeFileSync(n.uninstallFile, "false");
    const veth = `u-${name}`;
    await must(exec(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", String(ns.pid)]), "veth");
    await must(exec(["ip", "link", "set", veth, "master", "underlay", "up"]), "enslave");
    for (const argv of [
      ["ip", "addr", "add", `${n.ip4}/24`, "dev", "eth0"],
      ["ip", "addr", "add", `${n.ip6}/64`, "dev", "eth0", "nodad"],
      ["ip", "link", "set", "eth0", "up"],
    ]) await must(ns.run(argv), argv.join(" "));
    opts.prepare?.(n);
    // What the DaemonSet's init container runs.
    await must(exec([TSCNI, ...initArgs(name, n.mounts, opts.config)], { env: { PATH: SYSTEM_PATH, TSCNI_INSTALL_CALLER: "daemonset" } }), `install on ${name}`);
    this.nodes.set(name, n);
    return n;
  }

  node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /** Publishes the node to the API server, with or without its pod CIDRs. */
  publish(n: SimNode, withCIDRs = true): void {
    this.api.setNode({ name: n.name, podCIDRs: withCIDRs ? n.podCIDRs : [], internalIPs: [n.ip4, n.ip6] });
  }

  /** The DaemonSet's agent container on this node, pointed at the fake API server. */
  startAgent(n: SimNode, config: Record<string, string> = {}): void {
    const argv = [
      Bun.which("nsenter", { PATH: SYSTEM_PATH }) ?? "nsenter", `--net=${n.ns.path}`, "--", TSCNI, ...agentArgs(n.name, n.mounts, config),
      "--server", this.api.url, "--token-file", this.#tokenFile, "--ca-file", this.#caFile,
      // Not the machine's /var/lib/cni/networks; no "log": true (TSCNI_LOG below names the log).
      "--data-dir", n.ipam, "--no-log-calls",
      "--gc-grace-period", "0", "--gc-interval", "3600", "--resync", "2",
    ];
    const proc = Bun.spawn(argv, { env: { PATH: n.agentPath ?? SYSTEM_PATH, TSCNI_LOG: n.callLog, NODE_NAME: n.name }, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    n.agent = proc;
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stderr) n.agentLog.push(...decoder.decode(chunk).split("\n").filter((l) => l !== ""));
    })();
  }

  /** Ends the agent (SIGTERM: as the kubelet does; SIGKILL: a crash or power loss); its exit code. */
  async stopAgent(n: SimNode, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<number> {
    const p = n.agent;
    if (p === undefined) return 0;
    p.kill(signal);
    const code = await p.exited;
    n.agent = undefined;
    return code;
  }

  /** `tscni run <verb>` inside the node, as its runtime would call the network. */
  async pod(n: SimNode, verb: "add" | "del", pod: TempNetns, id: string, capArgs?: object): Promise<string> {
    const argv = [
      "nsenter", `--net=${n.ns.path}`, "--", TSCNI, "run", verb, "tscni", pod.path, "--container-id", id,
      "--conf-dir", n.conf, "--bin-dir", n.bin, "--cache-dir", n.cache, ...(capArgs ? ["--cap-args", JSON.stringify(capArgs)] : []),
    ];
    return must(exec(argv, { env: { PATH: SYSTEM_PATH, TSCNI_LOG: n.callLog } }), `run ${verb} ${id} on ${n.name}`);
  }

  async close(): Promise<void> {
    for (const n of this.nodes.values()) {
      if (n.agent !== undefined) await this.stopAgent(n, "SIGKILL");
      await n.ns[Symbol.asyncDispose]();
    }
    this.api.stop();
  }
}

/** Polls `cond` until it holds (bounded); the failure names what was awaited. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000, context: () => string = () => ""): Promise<void> {
  for (const end = performance.now() + ms; performance.now() < end; await Bun.sleep(100)) if (await cond()) return;
  throw new Error(`not within ${ms / 1000} s: ${what}\n${context()}`);
}
