/**
 * Every firewall backend by the name configs use for it (bridge `ipMasqBackend`, portmap
 * `backend`), in the order the default is chosen: the first that is usable, else the first.
 */
import type { FirewallBackend } from "./backend.ts";
import { iptablesBackend } from "./iptables-backend.ts";
import { nftablesBackend } from "./nftables-backend.ts";

export const ALL_BACKENDS: readonly FirewallBackend[] = [
  iptablesBackend,
  nftablesBackend,
];

/** The backend named `name`, if one is registered under exactly that name. */
export function findBackend(name: string): FirewallBackend | undefined {
  return ALL_BACKENDS.find((b) => b.name === name);
}
