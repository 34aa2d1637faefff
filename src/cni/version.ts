import { goQuote, goQuotedList } from "../gofmt/quote.ts";
import { isAsciiDigit } from "./chars.ts";
import { CniError, ErrorCode } from "./errors.ts";

import { CURRENT_VERSION, SUPPORTED_VERSIONS, type SpecVersion } from "./spec-versions.ts";

export { CURRENT_VERSION, SUPPORTED_VERSIONS, type SpecVersion, versionDocument } from "./spec-versions.ts";

export function isSupported(v: string): v is SpecVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/**
 * Splits "x.y.z" like the reference: at most three integer parts, missing parts are 0.
 * Parse failures are decoding errors (code 6) with the reference's wording.
 */
export function parseVersion(v: string): [number, number, number] {
  const parts = v.split(".");
  if (parts.length > 3) throw new CniError(ErrorCode.DecodingFailure, `invalid version "${v}": too many parts`);
  const names = ["major", "minor", "micro"];
  const out: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? "";
    if (!isSignedInteger(p)) {
      throw new CniError(
        ErrorCode.DecodingFailure,
        `failed to convert ${names[i]} version part "${p}": strconv.Atoi: parsing "${p}": invalid syntax`,
      );
    }
    out[i] = Number.parseInt(p, 10);
  }
  return out;
}

/** `/^[+-]?\d+$/` by hand, and a loop instead of `forEach` (a JS-written builtin): CHECK parses six versions (chars.ts says why). */
function isSignedInteger(p: string): boolean {
  const start = p.charCodeAt(0) === 0x2b || p.charCodeAt(0) === 0x2d ? 1 : 0;
  if (p.length === start) return false;
  for (let i = start; i < p.length; i++) if (!isAsciiDigit(p.charCodeAt(i))) return false;
  return true;
}

/** a < b → negative, a == b → 0, a > b → positive. Throws (code 6) on malformed input. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function atLeast(v: string, min: string): boolean {
  return compareVersions(v === "" ? "0.1.0" : v, min) >= 0;
}

/** Which result family a version belongs to; conversions only cross families explicitly. */
export type ResultFamily = "020" | "040" | "100";

export function resultFamily(v: string): ResultFamily | undefined {
  switch (v) {
    case "":
    case "0.1.0":
    case "0.2.0":
      return "020";
    case "0.3.0":
    case "0.3.1":
    case "0.4.0":
      return "040";
    case "1.0.0":
    case "1.1.0":
      return "100";
    default:
      return undefined;
  }
}

export const FAMILY_VERSIONS: Record<ResultFamily, readonly string[]> = {
  "020": ["0.1.0", "0.2.0"],
  "040": ["0.3.0", "0.3.1", "0.4.0"],
  "100": ["1.0.0", "1.1.0"],
};

/** The verbs that exist only from a given spec version on. */
export const VERB_MIN_VERSION = { CHECK: "0.4.0", GC: "1.1.0", STATUS: "1.1.0" } as const;

/**
 * The version gate the reference skel applies before calling a plugin: a verb the config's
 * version (absent: 0.1.0) or this plugin's does not know, or a version outside the supported
 * list, is refused with code 1 before the plugin runs.
 */
export function gateVersion(command: string, configVersion: string): void {
  const v = configVersion === "" ? "0.1.0" : configVersion;
  const min = (VERB_MIN_VERSION as Record<string, string>)[command];
  if (min !== undefined) {
    if (compareVersions(v, min) < 0) {
      throw new CniError(ErrorCode.IncompatibleVersion, `config version does not allow ${command}`);
    }
    if (compareVersions(v, CURRENT_VERSION) > 0) {
      throw new CniError(ErrorCode.IncompatibleVersion, `plugin version does not allow ${command}`);
    }
  }
  if (!isSupported(v)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      "incompatible CNI versions",
      `config is ${goQuote(v)}, plugin supports ${goQuotedList(SUPPORTED_VERSIONS)}`,
    );
  }
}
