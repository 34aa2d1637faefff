/** Go's notion of white space (unicode.IsSpace), as strings.TrimSpace and strings.Fields use it. */
const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, "g");
const FIELDS = new RegExp(`[${GO_SPACE}]+`);

/** strings.TrimSpace */
export const goTrim = (s: string): string => s.replace(TRIM, "");

/** strings.Fields */
export function goFields(s: string): string[] {
  const t = goTrim(s);
  return t === "" ? [] : t.split(FIELDS);
}
