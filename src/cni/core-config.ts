/**
 * The decode half of core.ts's narrow surface: Go-rules config decoding and the base NetConf
 * schema (valibot), for a plugin that loads them only when a verb decodes its config (loopback).
 */
export { decodeConfig } from "./decode.ts";
export { NetConf } from "./netconf.ts";
