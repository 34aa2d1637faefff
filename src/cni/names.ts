import { isAsciiAlnum } from "./chars.ts";

/**
 * The spec's rule for network names and container IDs: an alphanumeric first character, then
 * alphanumerics, `_`, `.` or `-`. Both become parts of file paths and firewall names, so every
 * reader of either checks this one rule. `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$` by hand: every plugin
 * exec checks two names (chars.ts says why).
 */
export function isValidName(name: string): boolean {
  if (name.length === 0 || !isAsciiAlnum(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isAsciiAlnum(c) && c !== 0x5f && c !== 0x2e && c !== 0x2d) return false;
  }
  return true;
}
