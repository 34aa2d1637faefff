/**
 * Every firewall backend by the name configs use for it (bridge `ipMasqBackend`, portmap
 * `backend`), one line each, loaded on first use. The order is the default's: the first usable
 * backend, else the first.
 */
import type { FirewallBackend } from "./backend.ts";

const REGISTRY: Readonly<Record<string, () => Promise<FirewallBackend>>> = {
  iptables: async () => (await import("./iptables-backend.ts")).iptablesBackend,
  nftables: async () => (await import("./nftables-backend.ts")).nftablesBackend,
};

const loaded = new Map<string, FirewallBackend>();

/** The backend registered under exactly `name` (own keys only: "toString" is not a backend). */
export async function findBackend(name: string): Promise<FirewallBackend | undefined> {
  const load = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (load === undefined) return undefined;
  const b = loaded.get(name) ?? (await load());
  loaded.set(name, b);
  return b;
}

/** Their names, in registry order (the default's), without loading any. */
export function backendNames(): string[] {
  return Object.keys(REGISTRY);
}

/** All of them, in registry order, for what must look everywhere (teardown, GC, the operator tools). */
export async function allBackends(): Promise<FirewallBackend[]> {
  const all: FirewallBackend[] = [];
  for (const name of Object.keys(REGISTRY)) {
    const b = await findBackend(name);
    if (b !== undefined) all.push(b);
  }
  return all;
}

/** A backend already loaded by a call above (descriptions of what a read found), without waiting. */
export function loadedBackend(name: string): FirewallBackend | undefined {
  return loaded.get(name);
}
