/** What `tscni gc` did or would do, for people (one line per object) and for machines (--json). */

export interface GcAction {
  /** The network; "*" for nft portmap rules, which name only a container. */
  network: string;
  kind: "del-attachment" | "release-ip" | "keep-young" | "remove-firewall";
  containerId: string;
  ifname?: string;
  ip?: string;
  /** remove-firewall: which object (a chain, an nft masquerade instance, or a container's nft portmap rules). */
  firewall?: { backend: "iptables" | "nftables"; kind: "masquerade" | "portmap"; where: string; name: string };
  done: boolean;
  error?: string;
}

interface PrintOptions {
  apply: boolean;
  json: boolean;
  graceSeconds: number;
  out: (text: string) => void;
}

function firewallText(a: GcAction): string {
  const f = a.firewall;
  if (f === undefined) return "";
  if (f.backend === "iptables") return `${f.kind} chain ${f.name} (${f.where}) of ${a.containerId}`;
  if (f.kind === "portmap") return `nft portmap rules of ${a.containerId} (${f.where})`;
  return `nft masquerade rules ${f.name} (${f.where}) of ${a.containerId}`;
}

function line(a: GcAction, verb: string, graceSeconds: number): string {
  const who = `${a.containerId}${a.ifname !== undefined ? `:${a.ifname}` : ""}`;
  const failed = a.error !== undefined ? ` — failed: ${a.error}` : "";
  const net = a.network === "*" ? "all networks" : a.network;
  switch (a.kind) {
    case "del-attachment":
      return `${net}: ${verb}DEL stale attachment ${who}${failed}`;
    case "release-ip":
      return `${net}: ${verb}release ${a.ip} (${who})${failed}`;
    case "keep-young":
      return `${net}: keep ${a.ip} (${who}): younger than the ${graceSeconds}s grace period`;
    case "remove-firewall":
      return `${net}: ${verb}remove ${firewallText(a)}${failed}`;
  }
}

export function printGc(o: PrintOptions, actions: readonly GcAction[]): void {
  if (o.json) {
    o.out(`${JSON.stringify({ apply: o.apply, actions }, null, 2)}\n`);
    return;
  }
  const verb = o.apply ? "" : "would ";
  for (const a of actions) o.out(`${line(a, verb, o.graceSeconds)}\n`);
  if (actions.length === 0) o.out("nothing stale\n");
  else if (!o.apply) o.out("dry run: nothing changed (use --apply)\n");
}
