import type ipaddrJs from "ipaddr.js";

/**
 * ipaddr.js, loaded on first use instead of at import: its module body costs every exec that
 * imports it CPU and RSS at start-up (docs/performance.md), and many execs (loopback DEL and
 * CHECK, an IPv4-only result) never parse or print an IPv6 address. Synchronous, unlike `import()`.
 */
export const ipaddr = (): typeof ipaddrJs => require("ipaddr.js") as typeof ipaddrJs;
