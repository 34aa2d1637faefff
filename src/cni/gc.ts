import * as v from "valibot";
import { decodeConfig } from "./schema.ts";

const Attachment = v.object({ containerID: v.string(), ifname: v.string() });
export type Attachment = v.InferOutput<typeof Attachment>;

const GcConfig = v.looseObject({
  "cni.dev/valid-attachments": v.optional(v.array(Attachment)),
  "cni.dev/attachments": v.optional(v.array(Attachment)),
});

/**
 * The attachments a GC call says are still in use: spec 1.1's `cni.dev/valid-attachments`, or the
 * pre-release `cni.dev/attachments` some runtimes sent. Absent means none are valid.
 */
export function gcAttachments(config: Record<string, unknown>): Attachment[] {
  const c = decodeConfig(GcConfig, config);
  return c["cni.dev/valid-attachments"] ?? c["cni.dev/attachments"] ?? [];
}
