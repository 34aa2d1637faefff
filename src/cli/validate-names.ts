/**
 * Host device names a plugin would create, checked against the kernel's limit: the loaders take
 * any string, and ADD then fails with "numerical result out of range" (ERANGE from the kernel).
 */
import type { ConfigProblem } from "../cni/index.ts";
import type { PluginDescription } from "../container/index.ts";

/** IFNAMSIZ (16) less the terminating NUL. */
export const MAX_IFNAME_BYTES = 15;

/** Each device name over the limit (v1.9.1's ADD message, then why). */
export function interfaceNameProblems(d: PluginDescription): ConfigProblem[] {
  return d.devices.flatMap(({ kind, name, path }) => {
    const bytes = new TextEncoder().encode(name).length;
    if (bytes <= MAX_IFNAME_BYTES) return [];
    const q = JSON.stringify(name);
    return [
      {
        path,
        message: `failed to create ${kind} ${q}: could not add ${q}: numerical result out of range (an interface name is at most ${MAX_IFNAME_BYTES} bytes; this one is ${bytes})`,
      },
    ];
  });
}
