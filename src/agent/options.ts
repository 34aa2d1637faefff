/** Everything the agent is told, resolved once at start (flags > env > defaults). */
import type { PluginLookup } from "../container/index.ts";
import type { KubeConfigFlags } from "./kube-config.ts";

export interface AgentOptions {
  node: string;
  kube: KubeConfigFlags;
  confDir: string;
  binDir: string;
  cacheDir: string;
  /** host-local dataDir written into the conflist; undefined: host-local's default. */
  dataDir?: string;
  netnsDir: string;
  statusFile: string;
  callLog: string;
  /** Write `"log": true` into the conflist's plugins so calls reach the call log. */
  logCalls: boolean;
  masquerade: boolean;
  /** Pod CIDRs never masqueraded to; empty: every Node's spec.podCIDRs. */
  clusterCIDRs: string[];
  /** This node's pod CIDRs when given (a cluster without --allocate-node-cidrs); empty: the Node's. */
  podCIDRs: string[];
  gcGraceSeconds: number;
  gcIntervalSeconds: number;
  resyncSeconds: number;
  /** host:port for /healthz and /metrics; "" serves nothing. */
  listen: string;
  /** A file holding "true" when SIGTERM should uninstall (a ConfigMap key mounted as a file). */
  uninstallFile: string;
  /** Also uninstall on SIGTERM regardless of the file. */
  uninstall: boolean;
  /** The bin dir `tscni install --uninstall` restores. */
  installDir: string;
  pluginNames: readonly string[];
  /** The registry's entries: what gc frees in each network (its host-local stores, its firewall objects). */
  registry: PluginLookup;
  env: Readonly<Record<string, string | undefined>>;
  log: (line: string) => void;
}
