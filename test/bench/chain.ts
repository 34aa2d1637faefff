/**
 * A minimal runtime-like conflist executor, enough to drive a containerd-style chain: ADD runs
 * the plugins in order feeding each one the previous result, CHECK and DEL hand every plugin the
 * cached final ADD result, DEL runs in reverse. Capability args become `runtimeConfig` for the
 * plugins that declare the capability, as libcni does. Not the product's runtime (`tscni run`).
 */
import type { Runner } from "./proc.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: JsonObject[];
}

export interface Attachment {
  containerId: string;
  netns: string;
  ifname: string;
  args?: string;
  /** e.g. { portMappings: [...] } */
  capabilityArgs?: JsonObject;
}

function pluginStdin(list: ConfList, plugin: JsonObject, att: Attachment, prevResult: Json | undefined): string {
  const conf: JsonObject = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  const caps = plugin.capabilities;
  if (caps !== null && typeof caps === "object" && !Array.isArray(caps) && att.capabilityArgs) {
    const rc: JsonObject = {};
    for (const [k, v] of Object.entries(att.capabilityArgs)) if (caps[k] === true) rc[k] = v;
    if (Object.keys(rc).length > 0) conf.runtimeConfig = rc;
  }
  if (prevResult !== undefined) conf.prevResult = prevResult;
  return JSON.stringify(conf);
}

function pluginType(p: JsonObject): string {
  if (typeof p.type !== "string") throw new Error("plugin without a type");
  return p.type;
}

function call(runner: Runner, command: string, list: ConfList, p: JsonObject, att: Attachment, prev: Json | undefined) {
  return runner.invoke({
    plugin: pluginType(p),
    command,
    containerId: att.containerId,
    netns: att.netns,
    ifname: att.ifname,
    args: att.args,
    stdin: pluginStdin(list, p, att, prev),
  });
}

/** Returns the final result (to cache for CHECK and DEL). */
export async function chainAdd(runner: Runner, list: ConfList, att: Attachment): Promise<Json> {
  let prev: Json | undefined;
  for (const p of list.plugins) {
    const r = await call(runner, "ADD", list, p, att, prev);
    if (r.json === undefined) throw new Error(`${pluginType(p)} ADD printed no JSON result`);
    prev = r.json as Json;
  }
  return prev ?? null;
}

export async function chainCheck(runner: Runner, list: ConfList, att: Attachment, cached: Json): Promise<void> {
  for (const p of list.plugins) await call(runner, "CHECK", list, p, att, cached);
}

export async function chainDel(runner: Runner, list: ConfList, att: Attachment, cached: Json | undefined): Promise<void> {
  for (const p of [...list.plugins].reverse()) await call(runner, "DEL", list, p, att, cached);
}

/** A single-plugin network, as a conflist of one. */
export function single(conf: JsonObject): ConfList {
  const { cniVersion, name, ...plugin } = conf;
  if (typeof cniVersion !== "string" || typeof name !== "string") throw new Error("conf needs cniVersion and name");
  return { cniVersion, name, plugins: [plugin] };
}
