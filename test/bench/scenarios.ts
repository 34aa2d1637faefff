/**
 * The scenario table. Each entry names the tscni plugins it needs (a missing one makes it
 * "n/a (not implemented yet)") and builds, per implementation, the operations one round runs.
 * Every scenario runs against Debian's v1.1.1 and upstream v1.9.1 (scenario-runner.ts).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chainAdd, chainCheck, chainDel, single, type ConfList, type JsonObject } from "./chain.ts";
import {
  bridgeName,
  bridgePlugin,
  CNI_VERSION,
  containerdNet,
  containerId,
  goCniLoopback,
  hostLocal,
  k8sArgs,
  portMappings,
  subnet4,
  syntheticPrevResult,
  type Masq,
} from "./configs.ts";
import { chainPerfScenarios } from "./chain-mode-scenarios.ts";
import { concurrency, density } from "./load.ts";
import { floor } from "./floor.ts";
import type { CycleInstance, CycleScenario, InstanceCtx, Scenario } from "./model.ts";
import { killNetns, newNetns } from "./netns.ts";
import type { Runner } from "./proc.ts";

/** ADD/CHECK/DEL of a list of networks on one attachment, like a runtime's pod sandbox. */
export async function networksInstance(
  ctx: InstanceCtx,
  networks: (dataDir: string) => { list: ConfList; ifname: string }[],
  capabilityArgs?: JsonObject,
): Promise<CycleInstance> {
  const ns = await newNetns();
  const dataDir = join(ctx.tmp, "ipam");
  mkdirSync(dataDir, { recursive: true });
  const nets = networks(dataDir);
  const cid = containerId();
  const att = (ifname: string) => ({ containerId: cid, netns: ns.path, ifname, args: k8sArgs(cid, "bench"), capabilityArgs });
  return {
    ops: {
      ADD: async (r) => {
        for (const n of nets) await chainAdd(r, n.list, att(n.ifname));
      },
      CHECK: async (r) => {
        for (const n of nets) await chainCheck(r, n.list, att(n.ifname));
      },
      DEL: async (r) => {
        for (const n of nets) await chainDel(r, n.list, att(n.ifname));
      },
    },
    cleanup: async (r: Runner) => {
      for (const n of nets) await chainDel(r, n.list, att(n.ifname)).catch(() => undefined);
      await killNetns(ns);
    },
  };
}

function bridgeScenario(id: string, code: string, masq: Masq, title: string, note?: string, addTarget = 1.0): CycleScenario {
  return {
    kind: "cycle",
    id,
    title,
    needs: ["bridge", "host-local"],
    ops: ["ADD", "CHECK", "DEL"],
    targets: { ADD: addTarget },
    note,
    create: (ctx) =>
      networksInstance(ctx, (dataDir) => [
        {
          list: single({
            cniVersion: CNI_VERSION,
            name: `bench-${code}`,
            ...bridgePlugin(bridgeName(code, ctx), masq, hostLocal([subnet4(ctx)], ["0.0.0.0/0"], dataDir)),
          }),
          ifname: "eth0",
        },
      ]),
  };
}

function portmapScenario(id: string, mappings: number): CycleScenario {
  return {
    kind: "cycle",
    id,
    title: `portmap, ${mappings} mappings`,
    needs: ["portmap"],
    ops: ["ADD", "DEL"],
    ...(mappings === 4 ? { targets: { ADD: 0.2 } } : {}),
    note: "standalone portmap with a synthetic bridge prevResult; iptables backend (the default)",
    create: async (ctx) => {
      const ns = await newNetns();
      const cid = containerId();
      const conf: JsonObject = {
        cniVersion: CNI_VERSION,
        name: "bench-pm",
        type: "portmap",
        capabilities: { portMappings: true },
        runtimeConfig: { portMappings: portMappings(mappings, 20000 + ctx.slot * 1000) },
        prevResult: syntheticPrevResult(ctx, ns.path),
      };
      const call = (command: string) => ({
        plugin: "portmap",
        command,
        containerId: cid,
        netns: ns.path,
        ifname: "eth0",
        args: k8sArgs(cid, "bench"),
        stdin: JSON.stringify(conf),
      });
      return {
        ops: {
          ADD: async (r) => void (await r.invoke(call("ADD"))),
          DEL: async (r) => void (await r.invoke(call("DEL"))),
        },
        cleanup: async (r) => {
          await r.run(call("DEL")).catch(() => undefined);
          await killNetns(ns);
        },
      };
    },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    kind: "custom",
    id: "floor",
    title: "empty compiled Bun program (floor)",
    needs: [],
    note: "an empty program compiled with tscni's flags vs each reference's loopback VERSION: the per-exec ratio no tscni change goes below",
    run: floor,
  },
  {
    kind: "cycle",
    id: "version",
    title: "VERSION (loopback)",
    needs: ["loopback"],
    ops: ["VERSION"],
    targets: { VERSION: 1.9 },
    roundsFactor: 5,
    note: "stdin {\"cniVersion\":\"1.0.0\"}, as libcni sends it",
    create: async () => ({
      ops: {
        VERSION: async (r) => void (await r.invoke({ plugin: "loopback", command: "VERSION", stdin: JSON.stringify({ cniVersion: CNI_VERSION }) })),
      },
      cleanup: async () => undefined,
    }),
  },
  {
    kind: "cycle",
    id: "loopback",
    title: "loopback",
    needs: ["loopback"],
    ops: ["ADD", "DEL"],
    targets: { ADD: 2.2 },
    roundsFactor: 5,
    create: (ctx) => networksInstance(ctx, () => [{ list: goCniLoopback, ifname: "lo" }]),
  },
  {
    kind: "cycle",
    id: "host-local",
    title: "host-local",
    needs: ["host-local"],
    ops: ["ADD", "DEL"],
    targets: { ADD: 2.2 },
    roundsFactor: 5,
    note: "invoked directly with a bridge network's config, as a runtime-side delegate would be",
    create: (ctx) =>
      networksInstance(ctx, (dataDir) => [
        {
          list: {
            cniVersion: CNI_VERSION,
            name: "bench-hl",
            plugins: [{ type: "host-local", ipam: hostLocal([subnet4(ctx)], ["0.0.0.0/0"], dataDir) }],
          },
          ifname: "eth0",
        },
      ]),
  },
  bridgeScenario("bridge-nomasq", "bn", "none", "bridge+host-local, no masq"),
  bridgeScenario("bridge-iptables", "bi", "iptables", "bridge+host-local, iptables masq", undefined, 0.6),
  bridgeScenario(
    "bridge-nft",
    "bf",
    "nftables",
    "bridge+host-local, nft masq",
    "ipMasqBackend nftables; v1.1.1 predates it and uses iptables, v1.9.1 writes nftables",
  ),
  portmapScenario("portmap-0", 0),
  portmapScenario("portmap-4", 4),
  {
    kind: "cycle",
    id: "chain",
    title: "containerd default chain",
    needs: ["loopback", "bridge", "host-local", "portmap"],
    ops: ["ADD", "CHECK", "DEL"],
    targets: { ADD: 0.6, CHECK: 1.0, DEL: 0.5 },
    note: "go-cni loopback network + containerd-net (bridge dual-stack, ipMasq, host-local, portmap with no ports)",
    create: (ctx) =>
      networksInstance(
        ctx,
        (dataDir) => [
          { list: goCniLoopback, ifname: "lo" },
          { list: containerdNet(ctx, dataDir), ifname: "eth0" },
        ],
        { portMappings: [] },
      ),
  },
  ...chainPerfScenarios,
  {
    kind: "custom",
    id: "density",
    title: "density: pod #1 vs #N, one bridge",
    needs: ["bridge", "host-local", "portmap"],
    note: "bridge (IPv4, iptables masq) + host-local + portmap with one hostPort per pod",
    run: density,
  },
  {
    kind: "custom",
    id: "concurrency-bridge",
    title: "concurrency ×50, bridge+host-local",
    needs: ["bridge", "host-local"],
    note: "bridge (IPv4, iptables masq) + host-local, 50 pods at once, then 50 DELs at once",
    run: (env, index, impls) => concurrency(env, index, impls, "bridge"),
  },
  {
    kind: "custom",
    id: "concurrency-chain",
    title: "concurrency ×50, containerd chain",
    needs: ["loopback", "bridge", "host-local", "portmap"],
    note: "the containerd default chain, 50 pods at once, then 50 DELs at once",
    run: (env, index, impls) => concurrency(env, index, impls, "chain"),
  },
];
