/**
 * Every `--json` document of tscni starts with `schemaVersion`: scripts check it before reading
 * further, and it changes only when a field is removed or changes meaning.
 */
export const SCHEMA_VERSION = 1;

export function jsonDocument(body: Record<string, unknown>): string {
  return `${JSON.stringify({ schemaVersion: SCHEMA_VERSION, ...body }, null, 2)}\n`;
}
