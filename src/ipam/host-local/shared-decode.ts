/**
 * One host-local decode handed from a plugin's pre-check to the in-process host-local ADD it then
 * delegates to: the bridge validates host-local's config before touching anything, and the
 * delegate would decode the very same stdin bytes again (~2 M instructions, docs/performance.md).
 * Keyed by the exact stdin bytes and CNI_ARGS, the only inputs of the decode; anything else
 * decodes afresh. Taken at most once, so the decoded object has a single user.
 */
import type { HostLocalConfig } from "./config.ts";

interface SharedDecode {
  stdin: Uint8Array;
  cniArgs: string;
  config: HostLocalConfig;
}

let shared: SharedDecode | undefined;

/** Offers `config`, decoded from `stdin` (a copy is kept) with `cniArgs`, to the next host-local ADD. */
export function shareHostLocalDecode(stdin: Uint8Array, cniArgs: string, config: HostLocalConfig): void {
  shared = { stdin: stdin.slice(), cniArgs, config };
}

/** The shared decode when it was made from these very bytes and CNI_ARGS; the offer ends either way. */
export function takeSharedDecode(stdin: Uint8Array, cniArgs: string): HostLocalConfig | undefined {
  const offer = shared;
  shared = undefined;
  if (offer === undefined || offer.cniArgs !== cniArgs || !sameBytes(offer.stdin, stdin)) return undefined;
  return offer.config;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
