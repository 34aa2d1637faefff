/** bridge `macspoofchk`: nft bridge-family rules that drop frames with another source MAC. */
import { CniError, ErrorCode } from "../cni/index.ts";
import { type ApplyOptions, applyNft } from "./apply.ts";
import { spoofCheckAdd, spoofCheckDel } from "./nftables-plans.ts";
import type { AttachmentRef, SpoofCheckRequest } from "./plans-types.ts";

export async function setupSpoofCheck(req: SpoofCheckRequest, opts: ApplyOptions = {}): Promise<void> {
  try {
    await applyNft(spoofCheckAdd(req), opts);
  } catch (err) {
    throw new CniError(ErrorCode.Internal, `failed to setup spoof-check: ${CniError.from(err).message}`);
  }
}

/** The bridge plugin prints this error to stderr only, as the reference does. */
export async function teardownSpoofCheck(ref: Pick<AttachmentRef, "containerId" | "ifname">, opts: ApplyOptions = {}): Promise<void> {
  try {
    await applyNft(spoofCheckDel(ref), opts);
  } catch (err) {
    throw new CniError(ErrorCode.Internal, `failed to teardown spoof-check: ${CniError.from(err).message}`);
  }
}
