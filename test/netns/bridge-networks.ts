/**
 * Fresh networks for the bridge kernel-state tests (test/netns/bridge-{add,options,firewall,
 * del-check-gc}.test.ts) and the ADD they all start from.
 */
import { afterAll } from "bun:test";
import { bridgeCall } from "../fixtures/bridge/support.ts";
import { tempDir, type TempNetns } from "../harness.ts";
import { hostLocal } from "./bridge-fixture.ts";

/** The parts of a bridge ADD result these tests read. */
export interface BridgeResult {
  cniVersion: string;
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

/** A bridge ADD that has to succeed: its result, else a throw carrying the plugin's output. */
export async function add(conf: object, ns: TempNetns, c: { containerId?: string; ifname?: string; args?: string } = {}): Promise<BridgeResult> {
  const r = await bridgeCall(conf, { command: "ADD", netns: ns.path, ...c });
  if (r.code !== 0) throw new Error(`ADD failed: ${r.stdout} ${r.stderr}`);
  return r.json as BridgeResult;
}

export interface BridgeNetworks {
  /** host-local's dataDir for every network of the file. */
  dataDir: string;
  /** The <n> of the latest `net()`. */
  readonly seq: number;
  /** A fresh network: name net<n>, bridge br<n>, subnets 10.<n>.0.0/24 unless given. */
  net(extra?: Record<string, unknown>, subnets?: string[]): Record<string, unknown>;
}

/**
 * One test file's networks, so tests never see each other's state: a dataDir removed when the
 * file ends, and a new bridge and subnet per `net()`. Call at the file's top level.
 */
export function bridgeNetworks(tempPrefix: string): BridgeNetworks {
  const data = tempDir(tempPrefix);
  afterAll(() => data[Symbol.dispose]());
  let seq = 0;
  return {
    dataDir: data.path,
    get seq() {
      return seq;
    },
    net(extra = {}, subnets) {
      const n = ++seq;
      return { cniVersion: "1.1.0", name: `net${n}`, type: "bridge", bridge: `br${n}`, ipam: hostLocal(data.path, subnets ?? [`10.${n}.0.0/24`]), ...extra };
    },
  };
}
