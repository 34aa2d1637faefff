/** portmap's config checks, loaded on demand through choice.ts: only calls with mappings or conditions need them. */
export { checkConditions } from "./conditions-check.ts";
export { parseIp } from "./validate.ts";
