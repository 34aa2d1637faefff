/**
 * The spec versions and the VERSION answer, with no imports: VERSION is asked before every ADD and
 * DEL by some runtimes, and the entry point answers it from this module alone (each module loaded
 * costs start-up time in the compiled binary).
 */

/** Every spec version the plugins speak, oldest first (the reference's `version.All`). */
export const SUPPORTED_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type SpecVersion = (typeof SUPPORTED_VERSIONS)[number];
export const CURRENT_VERSION: SpecVersion = "1.1.0";

/** The VERSION answer: compact, one line, labelled 1.1.0 whatever the config asked, like the reference. */
export function versionDocument(): string {
  return `${JSON.stringify({ cniVersion: CURRENT_VERSION, supportedVersions: SUPPORTED_VERSIONS })}\n`;
}
