/**
 * What `tscni gc` plans, for people (one line per object) and for machines (--json). The lines
 * are the plan itself: a dry run and `--apply` print the same ones (nothing time-dependent in
 * them), each starting with its action word and naming the network quoted, so no line can be
 * read as a program message ("tscni: …") whatever the network is called. How the real run went
 * goes to stderr.
 */
import { describeEntry, type FirewallKind } from "../firewall/index.ts";
import { jsonDocument } from "./json.ts";

export interface GcAction {
  /** The network; "*" for nft portmap rules, which name only a container. */
  network: string;
  kind: "del-attachment" | "release-ip" | "keep-young" | "remove-firewall";
  containerId: string;
  ifname?: string;
  ip?: string;
  /** A firewall object (a chain, an nft masquerade instance, or a container's nft portmap rules), in its backend's terms. */
  firewall?: { backend: string; kind: FirewallKind; where: string; name: string };
  /** Seconds since the youngest evidence of the attachment (cache entry, reservation, state dir). */
  ageSeconds?: number;
  /** keep-young: what the age was judged by. */
  evidence?: string;
  done: boolean;
  error?: string;
}

export interface PrintOptions {
  apply: boolean;
  json: boolean;
  graceSeconds: number;
  out: (text: string) => void;
  err: (text: string) => void;
}

function firewallText(a: GcAction): string {
  const f = a.firewall;
  if (f === undefined) return "";
  return describeEntry({ backend: f.backend, kind: f.kind, where: f.where, key: f.name }, a.containerId);
}

/** One plan line, e.g. `release network "net1": 10.88.0.7 of ctr1:eth0`. */
export function gcLine(a: GcAction, graceSeconds: number): string {
  const who = `${a.containerId}${a.ifname !== undefined && a.ifname !== "" ? `:${a.ifname}` : ""}`;
  const net = a.network === "*" ? "all networks:" : `network ${JSON.stringify(a.network)}:`;
  switch (a.kind) {
    case "del-attachment":
      return `del     ${net} attachment ${who} (cached, not in use)`;
    case "release-ip":
      return `release ${net} ${a.ip} of ${who}`;
    case "remove-firewall":
      return `remove  ${net} ${firewallText(a)}`;
    case "keep-young": {
      const what = a.firewall !== undefined ? firewallText(a) : a.ip !== undefined ? `${a.ip} of ${who}` : `attachment ${who}`;
      return `keep    ${net} ${what}: ${a.evidence ?? "younger"} within the ${graceSeconds} s grace period`;
    }
  }
}

export function printGc(o: PrintOptions, actions: readonly GcAction[]): void {
  if (o.json) {
    const ok = actions.every((a) => a.error === undefined);
    o.out(jsonDocument({ ok, apply: o.apply, graceSeconds: o.graceSeconds, actions }));
    return;
  }
  for (const a of actions) o.out(`${gcLine(a, o.graceSeconds)}\n`);
  if (actions.length === 0) o.out("nothing stale\n");
  if (!o.apply && actions.some((a) => a.kind !== "keep-young")) o.err("dry run: nothing changed (use --apply to do the above)\n");
  for (const a of actions) if (a.error !== undefined) o.err(`tscni gc: failed: ${gcLine(a, o.graceSeconds)}: ${a.error}\n`);
}
