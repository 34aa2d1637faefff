/**
 * Version, commit and target baked in by build/compile.ts (`--define`). Running from source shows "dev".
 */
declare const TSCNI_VERSION: string | undefined;
declare const TSCNI_COMMIT: string | undefined;
declare const TSCNI_TARGET: string | undefined;

export const buildVersion: string = typeof TSCNI_VERSION === "string" ? TSCNI_VERSION : "dev";
export const buildCommit: string = typeof TSCNI_COMMIT === "string" ? TSCNI_COMMIT : "unknown";
/** The `bun build --target` the binary was compiled for, e.g. "bun-linux-arm64". */
export const buildTarget: string = typeof TSCNI_TARGET === "string" ? TSCNI_TARGET : "source";

/** What the about text and `tscni version` print, e.g. "tscni v0.1.0 (commit 1a2b3c4)". */
export const buildString = `tscni v${buildVersion} (commit ${buildCommit})`;
