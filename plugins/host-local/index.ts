/** The host-local IPAM plugin: the verbs live in src/ipam so the bridge can run them in-process. */
export { hostLocal } from "../../src/ipam/index.ts";
