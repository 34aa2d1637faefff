/**
 * src/firewall's narrow surface for the masquerading plugins (src/container's ipMasq helpers):
 * the backend choice and the masquerade calls. Through index.ts a masquerading ADD would also
 * evaluate the portmap conditions, scan, the spoof check and the nft text layer, which it never
 * runs (docs/performance.md, "The masquerade step of bridge ADD").
 */
export { masqBackendReady } from "./detect.ts";
export { gcMasq, setupMasq, teardownMasq } from "./masq.ts";
