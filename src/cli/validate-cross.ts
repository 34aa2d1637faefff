/**
 * What no single file shows: which file each runtime loads, network names defined twice (in one
 * conf dir, or in two runtimes' conf dirs whose GCs would then free each other's addresses),
 * host-local ranges two networks would both hand out, and two networks on one bridge that want
 * different subnets or gateways on it. Exported for `tscni doctor`.
 */
import { basename } from "node:path";
import type { PluginLookup } from "../container/index.ts";
import { cidrText, ipString } from "../ip/index.ts";
import { type Range, rangeOverlaps } from "../ipam/index.ts";
import type { NetworkList, ScannedFile } from "../runtime/index.ts";
import { describeList } from "./gc-ipam.ts";

export interface CrossFinding {
  level: "error" | "warning";
  /** Stable identifier of the kind of finding, for scripts. */
  id: "duplicate-name" | "name-in-several-conf-dirs" | "overlapping-ranges" | "bridge-conflict";
  files: string[];
  message: string;
}

/** The networks of one conf dir. */
export interface ConfDirScan {
  dir: string;
  files: readonly ScannedFile[];
}

interface Network {
  list: NetworkList;
  file: string;
  dir: string;
  /** host-local ranges of any plugin of the list (canonical, gateways filled in). */
  ranges: Range[];
  /** Host devices the list attaches to, with whether the device gets the gateway address. */
  bridges: { name: string; isGateway: boolean }[];
}

const quote = (s: string): string => JSON.stringify(s);
const subnet = (r: Range): string => cidrText(r.subnet.ip, r.subnet.prefix);

async function describe(list: NetworkList, file: string, dir: string, plugins: PluginLookup): Promise<Network> {
  const d = await describeList(list, plugins);
  return { list, file, dir, ranges: d.ipam.flatMap((s) => s.rangeSets.flat()), bridges: d.devices.map((x) => ({ name: x.name, isGateway: x.gateway })) };
}

/** The file each runtime would use for each network name of one conf dir. */
async function loadedNetworks(scan: ConfDirScan, plugins: PluginLookup): Promise<Network[]> {
  const seen = new Set<string>();
  const out: Network[] = [];
  for (const s of scan.files) {
    if (s.list === undefined || seen.has(s.list.name)) continue;
    seen.add(s.list.name);
    out.push(await describe(s.list, s.file, scan.dir, plugins));
  }
  return out;
}

function duplicateNames(scan: ConfDirScan): CrossFinding[] {
  const byName = new Map<string, string[]>();
  for (const s of scan.files) if (s.list !== undefined) byName.set(s.list.name, [...(byName.get(s.list.name) ?? []), s.file]);
  return [...byName].filter(([, files]) => files.length > 1).map(([name, files]) => ({
    level: "warning",
    id: "duplicate-name",
    files,
    message:
      scan.dir === ""
        ? `network ${quote(name)} is defined in ${files.length} of the files given (${files.map((f) => basename(f)).join(", ")}): in one conf dir, runtimes would use the first by name and ignore the others`
        : `network ${quote(name)} is defined ${files.length} times in ${scan.dir}: runtimes use ${basename(files[0] ?? "")}, the others are ignored`,
  }));
}

function sameNameAcrossDirs(nets: readonly Network[]): CrossFinding[] {
  const byName = new Map<string, Network[]>();
  for (const n of nets) byName.set(n.list.name, [...(byName.get(n.list.name) ?? []), n]);
  return [...byName]
    .filter(([, ns]) => new Set(ns.map((n) => n.dir)).size > 1)
    .map(([name, ns]) => ({
      level: "error",
      id: "name-in-several-conf-dirs",
      files: ns.map((n) => n.file),
      message:
        `network ${quote(name)} is defined in ${ns.map((n) => n.dir).join(" and ")}: the runtimes reading these dirs share ` +
        `its host-local state (/var/lib/cni/networks/${name}), and each one's GC frees the addresses the other's pods use; ` +
        `give each runtime its own network name`,
    }));
}

function overlappingRanges(nets: readonly Network[]): CrossFinding[] {
  const out: CrossFinding[] = [];
  for (let i = 0; i < nets.length; i++) {
    for (let j = i + 1; j < nets.length; j++) {
      const a = nets[i]!;
      const b = nets[j]!;
      if (a.list.name === b.list.name) continue; // same name = same dataDir: reported as such
      const hit = a.ranges.flatMap((ra) => b.ranges.filter((rb) => rangeOverlaps(ra, rb)).map((rb) => [ra, rb] as const))[0];
      if (hit === undefined) continue;
      out.push({
        level: "error",
        id: "overlapping-ranges",
        files: [a.file, b.file],
        message: `networks ${quote(a.list.name)} (${subnet(hit[0])}) and ${quote(b.list.name)} (${subnet(hit[1])}) have overlapping host-local ranges: both would hand out the same addresses`,
      });
    }
  }
  return out;
}

function bridgeConflicts(nets: readonly Network[]): CrossFinding[] {
  const out: CrossFinding[] = [];
  const byBridge = new Map<string, Network[]>();
  const gateways = new Set<string>();
  for (const n of nets) {
    for (const b of n.bridges) {
      byBridge.set(b.name, [...(byBridge.get(b.name) ?? []), n]);
      if (b.isGateway) gateways.add(`${b.name}\u0000${n.list.name}`);
    }
  }
  for (const [bridge, users] of byBridge) {
    for (let i = 0; i < users.length; i++) {
      for (let j = i + 1; j < users.length; j++) {
        const a = users[i]!;
        const b = users[j]!;
        if (a.list.name === b.list.name) continue;
        for (const ra of a.ranges) {
          const rb = b.ranges.find((r) => r.subnet.ip.kind() === ra.subnet.ip.kind());
          if (rb === undefined) continue;
          const sameSubnet = subnet(ra) === subnet(rb);
          const sameGateway = ipString(ra.gateway) === ipString(rb.gateway);
          if (sameSubnet && sameGateway) continue;
          // Only gateway addresses on the bridge collide at ADD; without them the mix is merely odd.
          const both = gateways.has(`${bridge}\u0000${a.list.name}`) && gateways.has(`${bridge}\u0000${b.list.name}`);
          out.push({
            level: both ? "error" : "warning",
            id: "bridge-conflict",
            files: [a.file, b.file],
            message:
              `networks ${quote(a.list.name)} and ${quote(b.list.name)} both attach to bridge ${quote(bridge)} with ` +
              (sameSubnet
                ? `different gateways ${ipString(ra.gateway)} and ${ipString(rb.gateway)}`
                : `different subnets ${subnet(ra)} and ${subnet(rb)}`) +
              `: whichever comes second fails with "${bridge}" already has an IP address different from ` +
              `${ipString(rb.gateway)}/${rb.subnet.prefix} (or, with forceAddress, takes the bridge's address from the first)`,
          });
        }
      }
    }
  }
  return out;
}

/**
 * The cross-file findings of one or more conf dirs (each a different runtime's). Within a dir the
 * first file defining a name is the one loaded; across dirs every loaded network counts.
 */
export async function crossFileFindings(scans: readonly ConfDirScan[], plugins: PluginLookup): Promise<CrossFinding[]> {
  const nets = (await Promise.all(scans.map((s) => loadedNetworks(s, plugins)))).flat();
  return [
    ...scans.flatMap(duplicateNames),
    ...sameNameAcrossDirs(nets),
    ...overlappingRanges(nets),
    ...bridgeConflicts(nets),
  ];
}

/** containerd and CRI-O take the first file by name (all extensions) as the default network. */
export function defaultFile(scan: ConfDirScan): ScannedFile | undefined {
  return [...scan.files].sort((x, y) => (basename(x.file) < basename(y.file) ? -1 : basename(x.file) > basename(y.file) ? 1 : 0))[0];
}
