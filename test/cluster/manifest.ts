/**
 * The shipped DaemonSet's own commands, for the simulated nodes: the init container's and the
 * agent's args from deploy/tscni-daemonset.yaml with $(VAR)s expanded from the ConfigMap (and the
 * downward API's node name) and each mount path moved to the node's dir, as the kubelet would
 * mount the host's. What a real cluster adds (the in-cluster API address, token and CA) the
 * simulation passes as flags.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../harness.ts";

interface Container {
  args: string[];
  env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { key: string }; fieldRef?: { fieldPath: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

const docs = Bun.YAML.parse(readFileSync(join(repoRoot, "deploy/tscni-daemonset.yaml"), "utf8")) as Record<string, unknown>[];
const configMap = (docs.find((d) => d.kind === "ConfigMap") as { data: Record<string, string> }).data;
const podSpec = (docs.find((d) => d.kind === "DaemonSet") as { spec: { template: { spec: { initContainers: Container[]; containers: Container[] } } } }).spec.template.spec;

/** Mount path in the container → where it lives on the simulated node. */
export type Mounts = Record<string, string>;

function expand(c: Container, node: string, data: Record<string, string>, mounts: Mounts): string[] {
  const env = new Map<string, string>();
  for (const e of c.env ?? []) {
    const key = e.valueFrom?.configMapKeyRef?.key;
    const value = e.value ?? (key !== undefined ? data[key] : e.valueFrom?.fieldRef?.fieldPath === "spec.nodeName" ? node : undefined);
    if (value === undefined) throw new Error(`env ${e.name}: cannot be resolved`);
    env.set(e.name, value);
  }
  const mountPaths = Object.keys(mounts).sort((a, b) => b.length - a.length);
  return c.args.map((a) => {
    let arg = a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, n: string) => env.get(n) ?? `$(${n})`);
    for (const m of mountPaths) {
      const i = arg.indexOf(`=${m}`);
      if (i >= 0 && (arg.length === i + 1 + m.length || arg[i + 1 + m.length] === "/")) {
        arg = `${arg.slice(0, i + 1)}${mounts[m]}${arg.slice(i + 1 + m.length)}`;
        break;
      }
    }
    return arg;
  });
}

/** Every mount of the container must be mapped, so no arg can point at the machine's own dirs. */
function checkMounts(c: Container, mounts: Mounts): void {
  for (const m of c.volumeMounts ?? []) if (mounts[m.mountPath] === undefined) throw new Error(`mount ${m.mountPath} is not mapped for the simulation`);
}

export function initArgs(node: string, mounts: Mounts, data: Record<string, string> = {}): string[] {
  const c = podSpec.initContainers[0];
  if (c === undefined) throw new Error("no init container");
  checkMounts(c, mounts);
  return expand(c, node, { ...configMap, ...data }, mounts);
}

export function agentArgs(node: string, mounts: Mounts, data: Record<string, string> = {}): string[] {
  const c = podSpec.containers.find((x) => x.args[0] === "agent");
  if (c === undefined) throw new Error("no agent container");
  checkMounts(c, mounts);
  return expand(c, node, { ...configMap, ...data }, mounts);
}

export const agentEnvNodeName = (node: string): Record<string, string> => ({ NODE_NAME: node });
