/**
 * `tscni agent`'s command line (the work is in src/agent, loaded when it runs). Every flag has the
 * in-cluster default, so the DaemonSet passes only what differs on its mounts; tests point it at a
 * fake API server and temp dirs.
 */
import { DEFAULT_LOG_FILE, logTarget } from "../log.ts";
import { type Cli, leafCommand, noPlugins } from "./command.ts";
import { UsageError } from "./command-line.ts";
import { binDirs, cacheDir, confDir, dirArgs } from "./options.ts";

const seconds = (name: string, text: string, min: number): number => {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} must be a whole number of seconds ≥ ${min}`);
  return Number(text);
};

export default (cli: Cli) =>
  leafCommand(cli, {
    meta: { name: "agent", description: "Node agent for Kubernetes: conflist from the Node's podCIDRs, routes to peer nodes, masquerade, gc, /metrics" },
    args: {
      node: { type: "string", valueHint: "NAME", description: "this node's name (default: $NODE_NAME)" },
      server: { type: "string", valueHint: "URL", description: "API server (default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)" },
      "token-file": { type: "string", valueHint: "PATH", description: "service account token (default: the in-cluster one)" },
      "ca-file": { type: "string", valueHint: "PATH", description: "API server CA (default: the in-cluster one)" },
      ...dirArgs,
      "pod-cidr": { type: "string", valueHint: "CIDR", description: "this node's pod CIDR(s) instead of the Node's spec.podCIDRs (\"\": from the Node)" },
      "data-dir": { type: "string", valueHint: "DIR", description: "host-local dataDir written into the conflist (default: host-local's own)" },
      "netns-dir": { type: "string", default: "/run/netns", valueHint: "DIR", description: "where pod netns files live (gc: which pods are alive)" },
      "status-file": { type: "string", default: "/run/tscni/agent-status.json", valueHint: "PATH", description: "what tscni doctor reads" },
      "call-log": { type: "string", valueHint: "PATH", description: `the call log /metrics reads (default: $TSCNI_LOG or ${DEFAULT_LOG_FILE})` },
      "log-calls": { type: "boolean", default: true, description: "write \"log\": true into the conflist (plugins record each call)" },
      masquerade: { type: "boolean", default: true, description: "masquerade pod traffic leaving the cluster's pod CIDRs (kubenet-style)" },
      "cluster-cidr": { type: "string", valueHint: "CIDR", description: "pods' CIDR(s), never masqueraded to (default: every Node's podCIDRs)" },
      "gc-grace-period": { type: "string", default: "600", valueHint: "SECONDS", description: "gc leaves anything younger alone" },
      "gc-interval": { type: "string", default: "600", valueHint: "SECONDS", description: "how often gc runs (also once at start)" },
      resync: { type: "string", default: "60", valueHint: "SECONDS", description: "how often routes and masquerade are re-checked" },
      listen: { type: "string", default: "0.0.0.0:9740", valueHint: "HOST:PORT", description: "/healthz and /metrics (\"\" serves nothing)" },
      "install-dir": { type: "string", default: "/opt/cni/bin", valueHint: "DIR", description: "the bin dir uninstall restores" },
      "uninstall-file": { type: "string", default: "/etc/tscni/uninstall", valueHint: "PATH", description: "\"true\" in it: SIGTERM uninstalls (ConfigMap key uninstall)" },
      uninstall: { type: "string", default: "false", valueHint: "true|false", description: "SIGTERM uninstalls, whatever the file says" },
    },
    async run(args, line) {
      const node = args.node ?? cli.env.NODE_NAME ?? "";
      if (node === "") throw new UsageError("--node (or $NODE_NAME) is required: the agent configures this node only");
      if (args.uninstall !== "true" && args.uninstall !== "false") throw new UsageError("--uninstall must be true or false");
      // HOST:PORT, [V6]:PORT or :PORT; "9740" alone would be read as host "974", port 9740.
      const listen = /^(?:\[[0-9A-Fa-f:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(args.listen);
      if (args.listen !== "" && (listen === null || Number(listen[1]) < 1 || Number(listen[1]) > 65535)) {
        throw new UsageError(`--listen ${JSON.stringify(args.listen)}: give HOST:PORT ([::]:9740 for IPv6, "" to serve nothing)`);
      }
      const { runAgent, canonicalCidr } = await import("./actions.ts");
      // Both reach the conflist and the masquerade rules: a typo is refused, not half-applied.
      const cidrs = (flag: string, list: readonly string[]): string[] =>
        list.map((c) => {
          const canonical = canonicalCidr(c);
          if (canonical === undefined) throw new UsageError(`--${flag} ${JSON.stringify(c)} is not a CIDR`);
          return canonical;
        });
      const podCIDRs = cidrs("pod-cidr", line.list("pod-cidr"));
      const clusterCIDRs = cidrs("cluster-cidr", line.list("cluster-cidr"));
      const log = (l: string): void => cli.err(`${new Date().toISOString()} tscni-agent: ${l}\n`);
      return await runAgent({
        node,
        kube: { server: args.server, tokenFile: args["token-file"], caFile: args["ca-file"] },
        confDir: confDir(args["conf-dir"], cli.env),
        binDir: binDirs(args["bin-dir"], cli.env).join(":"),
        cacheDir: cacheDir(args["cache-dir"], cli.env),
        dataDir: args["data-dir"],
        netnsDir: args["netns-dir"],
        statusFile: args["status-file"],
        callLog: args["call-log"] ?? logTarget(cli.env, undefined) ?? DEFAULT_LOG_FILE,
        logCalls: args["log-calls"] !== false,
        masquerade: args.masquerade !== false,
        clusterCIDRs,
        podCIDRs,
        gcGraceSeconds: seconds("gc-grace-period", args["gc-grace-period"], 0),
        gcIntervalSeconds: seconds("gc-interval", args["gc-interval"], 1),
        resyncSeconds: seconds("resync", args.resync, 1),
        listen: args.listen,
        uninstallFile: args["uninstall-file"],
        uninstall: args.uninstall === "true",
        installDir: args["install-dir"],
        pluginNames: cli.deps.pluginNames,
        registry: cli.deps.registry ?? noPlugins,
        env: cli.env,
        log,
      });
    },
  });
