import { OwnNetnsError } from "./errors.ts";
import { statId } from "./libc.ts";

/**
 * Whether `path` names the network namespace this process runs in (same nsfs inode).
 * undefined when `path` cannot be stat'ed: the caller then skips the check, like the reference.
 */
export function isOwnNetns(path: string): boolean | undefined {
  const own = statId("/proc/thread-self/ns/net");
  if (own.ret < 0) throw new OwnNetnsError(own.errno);
  const other = statId(path);
  if (other.ret < 0) return undefined;
  return other.dev === own.dev && other.ino === own.ino;
}
