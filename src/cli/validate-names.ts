/**
 * Interface names a plugin would create, checked against the kernel's limit: the loaders take
 * any string, and ADD then fails with "numerical result out of range" (ERANGE from the kernel).
 */
import { goField } from "../cni/index.ts";
import type { ConfigProblem } from "../cni/index.ts";

/** IFNAMSIZ (16) less the terminating NUL. */
export const MAX_IFNAME_BYTES = 15;

/** The problem with plugin `type`'s bridge name in `config`, if any (v1.9.1's ADD message, then why). */
export function interfaceNameProblems(type: string, config: Record<string, unknown>): ConfigProblem[] {
  if (type !== "bridge") return [];
  const name = goField(config, "bridge");
  if (typeof name !== "string") return [];
  const bytes = new TextEncoder().encode(name).length;
  if (bytes <= MAX_IFNAME_BYTES) return [];
  const q = JSON.stringify(name);
  return [
    {
      path: "bridge",
      message: `failed to create bridge ${q}: could not add ${q}: numerical result out of range (an interface name is at most ${MAX_IFNAME_BYTES} bytes; this one is ${bytes})`,
    },
  ];
}
