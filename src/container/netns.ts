import { CniError, internalError } from "../cni/index.ts";
import { goQuote } from "../gofmt/index.ts";
import { NetNs } from "../sys/index.ts";

/** CNI_NETNS opened for ADD or CHECK; failures read as the reference's. */
export function openContainerNetns(path: string): NetNs {
  try {
    return NetNs.open(path);
  } catch (err) {
    throw internalError(`failed to open netns ${goQuote(path)}: ${CniError.from(err).message}`, err);
  }
}
