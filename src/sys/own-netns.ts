import { statSync } from "node:fs";
import { CniError, ErrorCode } from "../cni/errors.ts";

/**
 * Whether `path` names the network namespace this process runs in (same nsfs inode).
 * undefined when `path` cannot be stat'ed: the caller then skips the check, like the reference.
 */
export function isOwnNetns(path: string): boolean | undefined {
  let own;
  try {
    own = statSync("/proc/thread-self/ns/net");
  } catch {
    throw new CniError(ErrorCode.InvalidNetns, "get plugin's netns failed");
  }
  try {
    const other = statSync(path);
    return other.dev === own.dev && other.ino === own.ino;
  } catch {
    return undefined;
  }
}
