/**
 * The one interface every firewall user goes through: bridge ipMasq (masq.ts), portmap, `tscni gc`,
 * `tscni doctor` and the node agent's masquerade. An implementation lays the rules out as the reference's backend of the same
 * name does, plans them as data against what it reads, and writes each call as one transaction;
 * how it probes the node, which tool or transport carries the transaction (transport.ts decides
 * netlink once per process) and how its objects are named are its own business. What leaves a
 * backend is backend-neutral: entries, duplicate rules, foreign objects and GC transactions.
 * A new backend is one file implementing this and one line in backends.ts.
 */
import type { ApplyOptions } from "./apply.ts";
import type { NodeMasquerade } from "./node-masq.ts";
import type { AttachmentRef, MasqRequest, PortmapRequest } from "./plans-types.ts";

/**
 * What one attachment needs: bridge ipMasq, or portmap's forwarding (one request per family); or
 * what the node agent needs: its node-wide masquerade (node-masq.ts).
 */
export type Want =
  | { readonly kind: "masquerade"; readonly req: MasqRequest }
  | { readonly kind: "portmap"; readonly reqs: readonly PortmapRequest[] }
  | { readonly kind: "node-masquerade"; readonly want: NodeMasquerade };

/** Whose objects to delete, found by the names and comments the reference gives them (the agent's by its own). */
export type Owner =
  | { readonly kind: "masquerade"; readonly ref: AttachmentRef }
  | { readonly kind: "portmap"; readonly ref: Pick<AttachmentRef, "network" | "containerId"> }
  | { readonly kind: "node-masquerade" };

/** GC: the objects of `network` whose owner is not among the attachments still in use. */
export type Stale =
  | { readonly kind: "masquerade"; readonly network: string; readonly valid: readonly Pick<AttachmentRef, "containerId" | "ifname">[] }
  | { readonly kind: "portmap"; readonly network: string; readonly validContainerIds: readonly string[] };

export type FirewallKind = "masquerade" | "portmap";

/** Kinds whose objects name a container but no network (portmap's rules): GC keeps them for every network's live containers. */
export function keyedByContainerOnly(kind: FirewallKind): boolean {
  return kind === "portmap";
}

/** One attachment's objects of one kind in one backend (a chain, or the rules sharing a key). */
export interface FirewallEntry {
  /** The backend's name, as configs spell it. */
  readonly backend: string;
  readonly kind: FirewallKind;
  /** Where it lives: a family ("ipv4"), a table ("ip cni_hostport"). */
  readonly where: string;
  /** Its name in that place: a chain, an instance hash, a container ID. */
  readonly key: string;
  /** The comment of the first rule naming it, for people. */
  readonly comment: string;
  /** The container ID its comment carries, as far as the comment kept it. */
  readonly containerId?: string;
}

/** Identical rules in one of the chains that hook the per-attachment objects in. */
export interface DuplicateRule {
  readonly where: string;
  readonly chain: string;
  readonly rule: string;
  readonly count: number;
  /** How an operator removes the extra copies. */
  readonly fix: string;
}

/** An attachment whose objects must stay; ifname "" keeps every interface of the container. */
export interface Keep {
  readonly containerId: string;
  readonly ifname: string;
}

export interface NetworkKeep {
  readonly network: string;
  readonly keep: readonly Keep[];
}

export interface GcItem {
  /** The network the object is attributed to; "*" for objects that name no network. */
  readonly network: string;
  readonly entry: FirewallEntry;
  readonly containerId: string;
}

/** What GC would remove from one backend, and the transaction(s) that remove it. */
export interface GcTransaction {
  readonly items: readonly GcItem[];
  /** Writes the removals; returns each item whose write failed, with the error. */
  apply(opts?: ApplyOptions): Promise<Map<GcItem, string>>;
}

/** One backend's part of the node's firewall, read once. */
export interface FirewallView {
  readonly backend: string;
  readonly entries: readonly FirewallEntry[];
  readonly duplicates: readonly DuplicateRule[];
  /** Objects in our tables or chains that neither tscni nor the reference wrote: left alone, reported. */
  readonly foreign: readonly string[];
  /** What could not be read (a tool without privilege, a broken install): one line each. */
  readonly problems: readonly string[];
  /**
   * GC over this read: the objects of `networks` kept by none of their attachments, and with
   * `keepIds` (every container ID in use anywhere) objects that name no network.
   */
  planGc(networks: readonly NetworkKeep[], keepIds?: ReadonlySet<string>): GcTransaction;
}

export interface FirewallBackend {
  readonly name: string;
  /** The program this backend's objects are known by on a node ("iptables", "nft"), for messages. */
  readonly tool: string;
  /** For `tscni doctor`: the package that provides the tool, and what needs it. */
  readonly install: { readonly package: string; readonly neededBy: string };
  /** For `tscni doctor`: the tool's version line (with its flavour where that matters), undefined when it does not run. */
  version(): string | undefined;
  /** Without running anything: undefined when the tool is installed, else the reference's "failed to locate" text. */
  locate(): string | undefined;
  /** Whether this backend can work here (the reference's probe; over netlink where it can). */
  usable(opts?: ApplyOptions): Promise<boolean>;
  /** The portmap options in `conf` only this backend supports (externalSetMarkChain, conditions in its syntax). */
  portmapOptions(conf: PortmapOptions): string[];
  /** One read of what this backend holds of the plugins' objects. Never throws. */
  read(opts?: ApplyOptions): Promise<FirewallView>;
  /** One line for people naming an entry of this backend (gc output). */
  describe(entry: Pick<FirewallEntry, "kind" | "where" | "key">, containerId: string): string;
  /** Plans what `want` needs against one read of the kernel and writes it as one transaction. */
  apply(want: Want, opts?: ApplyOptions): Promise<void>;
  /** CHECK: throws the reference's message for the first thing `want` needs that is missing. */
  check(want: Want, opts?: ApplyOptions): Promise<void>;
  /**
   * Deletes everything `owner` has in this backend; nothing when there is nothing. Throws only
   * what the reference would report (a backend that is not usable here cannot hold rules).
   */
  removeOwned(owner: Owner, opts?: ApplyOptions): Promise<void>;
  /** GC: deletes the objects `stale` names, in one read and one transaction per call. */
  removeStale(stale: Stale, opts?: ApplyOptions): Promise<void>;
}

/** The portmap options a backend may claim. */
export interface PortmapOptions {
  readonly externalSetMarkChain?: string;
  readonly conditionsV4?: readonly string[];
  readonly conditionsV6?: readonly string[];
}

/** The first line `argv` prints (stdout, else stderr) when it succeeds. */
export function firstLineOf(argv: readonly string[]): string | undefined {
  try {
    // A tool that does not print its version within 10 s has no version worth waiting for.
    const r = Bun.spawnSync([...argv], { stdout: "pipe", stderr: "pipe", timeout: 10_000, killSignal: "SIGKILL" });
    if (r.exitCode !== 0) return undefined;
    return (r.stdout.toString() || r.stderr.toString()).split("\n")[0]?.trim();
  } catch {
    return undefined;
  }
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The syntax a portmap conditions list is written in: iptables-style flags start with `-` or `!`,
 * anything else is statements (nft); undefined when there is none.
 */
export function conditionsDialect(conditions: readonly string[] | undefined): "flags" | "statements" | undefined {
  const first = conditions?.[0];
  if (first === undefined || first === "") return undefined;
  return first.startsWith("-") || first.startsWith("!") ? "flags" : "statements";
}
