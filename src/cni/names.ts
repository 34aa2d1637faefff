/**
 * The spec's rule for network names and container IDs: an alphanumeric first character, then
 * alphanumerics, `_`, `.` or `-`. Both become parts of file paths and firewall names, so every
 * reader of either checks this one rule.
 */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

export function isValidName(name: string): boolean {
  return NAME.test(name);
}
