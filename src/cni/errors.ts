import { LockError, OwnNetnsError } from "../sys/errors.ts";

/** The spec's well-known error codes (SPEC.md "Error"), plus the library's 999. */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  InvalidNetns: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  Internal: 999,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The error object a plugin prints on stdout: `{code, msg, details}` (details omitted when empty). */
export interface CniErrorJson {
  code: number;
  msg: string;
  details?: string;
}

/**
 * A protocol-level error. Anything thrown that is not a CniError is reported as code 999 with its
 * message, exactly like the reference skel does with plain Go errors.
 */
export class CniError extends Error {
  override readonly name = "CniError";
  readonly code: number;
  readonly details: string;

  constructor(code: number, msg: string, details = "", options?: { cause?: unknown }) {
    super(msg, options);
    this.code = code;
    this.details = details;
  }

  toJSON(): CniErrorJson {
    return this.details === ""
      ? { code: this.code, msg: this.message }
      : { code: this.code, msg: this.message, details: this.details };
  }

  /**
   * Wraps any thrown value; CNI errors pass through untouched (a delegate's code survives). The
   * kernel layer's own errors get the spec's code for what they mean: a lock held too long by
   * another call is "try again later", an unidentifiable own netns an invalid netns.
   */
  static from(err: unknown): CniError {
    if (err instanceof CniError) return err;
    if (err instanceof LockError && err.kind === "timeout") return new CniError(ErrorCode.TryAgainLater, err.message, "", { cause: err });
    if (err instanceof OwnNetnsError) return new CniError(ErrorCode.InvalidNetns, err.message, "", { cause: err });
    if (err instanceof Error) return new CniError(ErrorCode.Internal, err.message, "", { cause: err });
    return new CniError(ErrorCode.Internal, String(err));
  }
}

/** Plugin-level failure: the reference reports all of these as code 999. */
export function internalError(msg: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.Internal, msg, "", { cause });
}
