import { errnoName } from "../sys/errno.ts";
import { errnoText } from "../sys/errtext.ts";

/**
 * A request the kernel refused (or that got no answer). `message` is the errno's text the way
 * Go prints it ("file exists"), because plugins embed it in CNI errors exactly like the
 * reference; the kernel's extended-ack text is kept separately in `extack`.
 */
export class NetlinkError extends Error {
  override readonly name = "NetlinkError";
  readonly errnoName: string;

  constructor(
    /** What was attempted, e.g. "RTM_NEWLINK" or "link add veth0". */
    readonly op: string,
    /** Positive errno. */
    readonly errno: number,
    readonly extack: string | undefined,
    readonly seq: number,
  ) {
    super(errnoText(errno));
    this.errnoName = errnoName(errno);
  }

  /** The message plus op and extack, for logs. */
  get detail(): string {
    return `${this.op}: ${this.message}${this.extack ? ` (${this.extack})` : ""}`;
  }
}

export function isNetlinkErrno(err: unknown, errno: number): err is NetlinkError {
  return err instanceof NetlinkError && err.errno === errno;
}

/**
 * A wait that ended without the kernel's answer (silence, or a ruleset that stayed busy past its
 * bound). No reference wording exists for these, so the message says what was awaited and for how
 * long instead of only the errno's text.
 */
export class NetlinkGaveUp extends NetlinkError {
  constructor(op: string, errno: number, why: string, seq: number) {
    super(op, errno, why, seq);
    this.message = `${op}: ${why} (${errnoText(errno)})`;
  }
}
