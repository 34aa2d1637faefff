/**
 * IPAM: the host-local allocator and its on-disk store. The host-local plugin re-exports the verbs;
 * the bridge calls the same functions in-process.
 */
export * from "./host-local/index.ts";
