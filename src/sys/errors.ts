/**
 * Failures of the kernel layer, in its own terms: what failed, on which path, with which errno.
 * This layer speaks no protocol; whoever calls it on behalf of one maps these to its codes (the
 * CNI mapping is CniError.from in src/cni/errors.ts). No imports: protocol code may name these
 * classes without loading any FFI.
 */

/** What went wrong (`kind`, for callers to branch on), on which path, and the errno (0: none). */
class PathError<Kind extends string> extends Error {
  constructor(
    readonly kind: Kind,
    readonly path: string,
    message: string,
    readonly errno = 0,
  ) {
    super(message);
  }
}

/** `timeout`: another holder kept the lock past the wait; `failed`: flock itself failed. */
export type LockErrorKind = "timeout" | "failed";

export class LockError extends PathError<LockErrorKind> {
  override readonly name = "LockError";
}

export type NetNsErrorKind = "not-found" | "not-netns" | "io";

/**
 * Why a netns path could not be used. The messages are the reference's (ns.GetNS), because
 * loopback returns them verbatim; `kind` lets callers treat a vanished netns as "already gone"
 * on DEL without matching text.
 */
export class NetNsError extends PathError<NetNsErrorKind> {
  override readonly name = "NetNsError";
}

/** This process's own network namespace could not be identified (its /proc entry is unreadable). */
export class OwnNetnsError extends Error {
  override readonly name = "OwnNetnsError";
  constructor(readonly errno: number) {
    super("get plugin's netns failed");
  }
}
