/**
 * A node as it is right after boot, for the fresh-node class: a brand-new host netns (nf_tables
 * generation 1, empty ruleset — `nft flush ruleset` cannot give that, it bumps the generation),
 * an empty /run and a dataDir that does not exist yet. Plugins run inside it through nsenter as a
 * runtime on that node would run them; every call is timed against a hang bound. The bound is a
 * hang detector, not a performance figure: a call waiting on something that will never come
 * (issue #21: a 10 s netlink poll, twice) trips it, a slow machine does not.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CniReply, distDir, exec, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";

export const HANG_BOUND_MS = 2_000;

export interface TimedReply extends CniReply {
  ms: number;
}

export interface CallOptions {
  /** DEL as a runtime sends it after the netns is gone: CNI_NETNS empty. */
  noNetns?: boolean;
  containerId?: string;
}

export interface FreshNode extends AsyncDisposable {
  readonly host: TempNetns;
  readonly container: TempNetns;
  /** Where host-local keeps this node's state; does not exist until a plugin creates it. */
  readonly dataDir: string;
  call(plugin: string, command: string, conf: object, opts?: CallOptions): Promise<TimedReply>;
  /** `nft list ruleset` of the host netns (iptables-nft tables included). */
  ruleset(): Promise<string>;
  /** The ruleset plus `iptables-save` and `ip6tables-save` (nft 1.0.6 hides xt comments). */
  firewallText(): Promise<string>;
  /** Files under dataDir/<network> naming an address (host-local's reservations). */
  reservations(network: string): string[];
}

/** Empties the runner's private /run (a tmpfs of this throwaway host only): locks, netns dir, all. */
function emptyRun(): void {
  for (const entry of readdirSync("/run")) rmSync(join("/run", entry), { recursive: true, force: true });
}

export const CONTAINER_ID = "fresh0123456789";

export async function freshNode(): Promise<FreshNode> {
  emptyRun();
  const host = await tempNetns({ lo: true });
  const container = await tempNetns({ lo: true });
  const dataDir = join(mkdtempSync(join(tmpdir(), "tscni-fresh-")), "networks");
  const ruleset = async (): Promise<string> => {
    const r = await host.run(["nft", "list", "ruleset"]);
    if (r.code !== 0) throw new Error(`nft list ruleset: ${r.stderr}`);
    return r.stdout;
  };
  return {
    host,
    container,
    dataDir,
    async call(plugin, command, conf, opts = {}) {
      const start = performance.now();
      const r = await runCni(tscni(plugin), {
        command,
        containerId: opts.containerId ?? CONTAINER_ID,
        netns: opts.noNetns === true ? "" : container.path,
        ifname: "eth0",
        path: distDir,
        stdin: conf,
        prefix: ["nsenter", `--net=${host.path}`, "--"],
      });
      return { ...r, ms: performance.now() - start };
    },
    ruleset,
    async firewallText() {
      const parts = [await ruleset()];
      for (const tool of ["iptables-save", "ip6tables-save"]) {
        const r = await host.run([tool]);
        if (r.code !== 0) throw new Error(`${tool}: ${r.stderr}`);
        parts.push(r.stdout);
      }
      return parts.join("\n");
    },
    reservations(network) {
      try {
        return readdirSync(join(dataDir, network)).filter((f) => /^[0-9a-f.:]+$/.test(f) && /[.:]/.test(f));
      } catch {
        return [];
      }
    },
    async [Symbol.asyncDispose]() {
      await container[Symbol.asyncDispose]();
      await host[Symbol.asyncDispose]();
    },
  };
}

/**
 * The nf_tables generation of `ns`: 1 on a node nothing has written to yet, and unchanged by a call
 * that committed nothing (nft prints no generation id, so a small script asks the kernel).
 */
export async function generation(ns: TempNetns): Promise<number> {
  const probe = await exec(["nsenter", `--net=${ns.path}`, "--", process.execPath, join(import.meta.dir, "fresh-node-genid.ts")]);
  if (probe.code !== 0) throw new Error(`genid probe: ${probe.stderr}`);
  return Number(probe.stdout.trim());
}
