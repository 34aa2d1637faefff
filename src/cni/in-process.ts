/**
 * The table of plugins this binary can run without exec'ing itself, registered by the plugin
 * entry. Kept apart from invoke.ts so the entry can register it without loading delegation code
 * (and the node:* modules it uses) on every exec.
 */
import type { DispatchIo } from "./dispatch.ts";

export interface InProcessPlugins {
  has(name: string): boolean;
  /** Runs `name` through the dispatcher; the registrant supplies the netns identity check. */
  run(name: string, io: Omit<DispatchIo, "isOwnNetns">): Promise<number>;
}

let table: InProcessPlugins | undefined;

export function registerInProcessPlugins(plugins: InProcessPlugins): void {
  table = plugins;
}

export function inProcessPlugins(): InProcessPlugins | undefined {
  return table;
}
