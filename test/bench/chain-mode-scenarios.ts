/**
 * #22's scenarios, registered in scenarios.ts with one line: the containerd chain with
 * containerd-net in chain mode (one tscni-chain exec serves bridge, host-local and portmap),
 * next to the plain `chain` rows and against the same references running the plain list (they
 * have no chain mode); and the storm-memory scenario (storm-memory.ts).
 */
import { toChainMode } from "../../src/cli/chain-mode-convert.ts";
import type { ConfList } from "./chain.ts";
import { containerdNet, goCniLoopback } from "./configs.ts";
import type { Scenario } from "./model.ts";
import { networksInstance } from "./scenarios.ts";
import { stormMemory } from "./storm-memory.ts";

export const chainPerfScenarios: readonly Scenario[] = [
  {
    kind: "cycle",
    id: "chain-mode",
    title: "containerd chain, chain mode",
    needs: ["loopback", "bridge", "host-local", "portmap", "tscni-chain"],
    ops: ["ADD", "CHECK", "DEL"],
    targets: { ADD: 0.4, CHECK: 0.6, DEL: 0.3 },
    note: "as `chain`, with containerd-net rewritten by tscni install --chain-mode for tscni; the references run the plain list",
    create: (ctx) =>
      networksInstance(
        ctx,
        (dataDir) => {
          const net = containerdNet(ctx, dataDir, "cm");
          return [
            { list: goCniLoopback, ifname: "lo" },
            { list: ctx.impl === "tscni" ? (toChainMode(net as never) as never as ConfList) : net, ifname: "eth0" },
          ];
        },
        { portMappings: [] },
      ),
  },
  {
    kind: "custom",
    id: "storm-memory",
    title: "storm memory",
    needs: ["loopback", "bridge", "host-local", "portmap", "tscni-chain"],
    note: "N (TSCNI_STORM_N, default 50) ADDs at once, each in its own netns, the group's execs in one memory cgroup; peak of the cgroup",
    run: stormMemory,
  },
];
