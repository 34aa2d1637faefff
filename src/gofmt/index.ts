/** Go's fmt renderings the reference puts into messages and comments, reproduced exactly. */
export { goQuote, goQuotedList } from "./quote.ts";
export { goIp, goIpConfig, goIpNetValue, goRoute, goScope } from "./result.ts";
