/** bridge `ipMasq`: set up and tear down one attachment's masquerading, in either backend. */
import { CniError, ErrorCode } from "../cni/index.ts";
import { type ApplyOptions, applyIptables, applyIptablesEach, applyNft } from "./apply.ts";
import { type Backend, iptablesUsable, nftablesUsable } from "./detect.ts";
import { masqIptablesAdd, masqIptablesDel } from "./iptables-plans.ts";
import { masqNftAdd, masqNftDel } from "./nftables-plans.ts";
import type { AttachmentRef, MasqRequest } from "./plans-types.ts";

export async function setupMasq(req: MasqRequest, backend: Backend, opts: ApplyOptions = {}): Promise<void> {
  if (backend === "iptables") await applyIptables(masqIptablesAdd(req), opts);
  else await applyNft(masqNftAdd(req), opts);
}

/**
 * Removes this attachment's masquerading from both backends, since it may have been set up by
 * another version or configuration. A backend's error counts only when that backend is usable;
 * errors are joined with newlines, as the reference does.
 */
export async function teardownMasq(ref: AttachmentRef, opts: ApplyOptions = {}): Promise<void> {
  const errors: string[] = [];
  const outcomes = await applyIptablesEach(masqIptablesDel(ref), opts);
  for (const o of outcomes) {
    if (o.error && (await iptablesUsable(o.family, opts.run))) errors.push(o.error.message);
  }
  try {
    await applyNft(masqNftDel(ref), opts);
  } catch (err) {
    if (await nftablesUsable(opts.run)) errors.push(CniError.from(err).message);
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("\n"));
}
