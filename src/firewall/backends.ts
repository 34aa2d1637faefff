/** Every firewall backend by the name configs use for it (bridge `ipMasqBackend`, portmap `backend`). */
import type { FirewallBackend } from "./backend.ts";
import { iptablesBackend } from "./iptables-backend.ts";
import { nftablesBackend } from "./nftables-backend.ts";

export const BACKENDS = {
  iptables: iptablesBackend,
  nftables: nftablesBackend,
} as const satisfies Record<string, FirewallBackend>;

export type Backend = keyof typeof BACKENDS;

/** Whether a config's backend name is one registered here (own keys only: "toString" is not a backend). */
export function isBackend(name: string): name is Backend {
  return Object.hasOwn(BACKENDS, name);
}

export function firewallBackend(name: Backend): FirewallBackend {
  return BACKENDS[name];
}

/** All of them, for what must look everywhere (teardown and GC of masquerading, set up by any). */
export const ALL_BACKENDS: readonly FirewallBackend[] = Object.values(BACKENDS);
