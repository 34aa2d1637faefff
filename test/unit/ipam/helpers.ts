import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskStore } from "../../../src/ipam/host-local/disk-store.ts";
import type { CmdArgs, Verb } from "../../../src/cni/index.ts";

/** CmdArgs as the dispatcher would build them, for in-process verb tests. */
export function cmdArgs(command: Verb, config: Record<string, unknown>, over: Partial<CmdArgs> = {}): CmdArgs {
  const text = JSON.stringify(config);
  return {
    command,
    containerId: "ctr1",
    netns: "/proc/1/ns/net",
    ifname: "eth0",
    args: "",
    path: "/opt/cni/bin",
    stdin: new TextEncoder().encode(text),
    config,
    cniVersion: typeof config.cniVersion === "string" ? config.cniVersion : "",
    env: {},
    ...over,
  };
}

/** What a network directory holds before a test: reservation files by IP, last_reserved_ip by range set. */
export interface StoreSeed {
  files?: Record<string, string>;
  last?: Record<string, string>;
}

let seeded = 0;

/** A fresh DiskStore under `dataDir` holding exactly `seed`, written as the reference would. */
export function seededStore(dataDir: string, seed: StoreSeed = {}): DiskStore {
  const store = new DiskStore(dataDir, `net${seeded++}`);
  for (const [ip, content] of Object.entries(seed.files ?? {})) writeFileSync(join(store.dir, ip), content, { mode: 0o600 });
  for (const [id, content] of Object.entries(seed.last ?? {})) writeFileSync(join(store.dir, `last_reserved_ip.${id}`), content, { mode: 0o600 });
  return store;
}

/** The reservation files of a store's directory, IP → content. */
export function storeFiles(store: DiskStore): Record<string, string> {
  const names = readdirSync(store.dir).filter((n) => n !== "lock" && !n.startsWith("last_reserved_ip.")).sort();
  return Object.fromEntries(names.map((n) => [n, readFileSync(join(store.dir, n), "utf8")]));
}
