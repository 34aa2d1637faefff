/** bridge `ipMasq`: set up, tear down and garbage-collect one attachment's masquerading. */
import { CniError, ErrorCode } from "../cni/index.ts";
import type { ApplyOptions } from "./apply.ts";
import type { FirewallBackend } from "./backend.ts";
import { allBackends } from "./backends.ts";
import type { MasqGcRequest } from "./masq-gc.ts";
import type { AttachmentRef, MasqRequest } from "./plans-types.ts";

export async function setupMasq(req: MasqRequest, backend: FirewallBackend, opts: ApplyOptions = {}): Promise<void> {
  await backend.apply({ kind: "masquerade", req }, opts);
}

/** Runs `fn` on every backend; the errors are joined with newlines, as the reference does. */
async function everyBackend(fn: (b: FirewallBackend) => Promise<void>): Promise<void> {
  const errors: string[] = [];
  for (const b of await allBackends()) {
    try {
      await fn(b);
    } catch (err) {
      errors.push(CniError.from(err).message);
    }
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("\n"));
}

/**
 * Removes this attachment's masquerading from every backend, since it may have been set up by
 * another version or configuration.
 */
export async function teardownMasq(ref: AttachmentRef, opts: ApplyOptions = {}): Promise<void> {
  await everyBackend((b) => b.removeOwned({ kind: "masquerade", ref }, opts));
}

/** GC sweeps every backend too (an attachment may have been set up by either). */
export async function gcMasq(req: MasqGcRequest, opts: ApplyOptions = {}): Promise<void> {
  await everyBackend((b) => b.removeStale({ kind: "masquerade", ...req }, opts));
}
