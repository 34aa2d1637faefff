/**
 * Backend choice, as the reference makes it, over whatever backends.ts registers: a configured
 * name must be registered; otherwise the first usable backend, else the first. Plus tscni's one
 * fix: portmap options only one backend supports (conditions in nft syntax) select it when no
 * backend is configured (the reference reports a conflict instead, although its docs promise
 * this). Listed in docs/compatibility.md. Probing is each backend's own (`usable`, `locate`).
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import { goQuote } from "../gofmt/index.ts";
import { conditionsDialect, type FirewallBackend, type PortmapOptions } from "./backend.ts";
import { allBackends, backendNames, findBackend } from "./backends.ts";
import { find } from "../plain-array.ts";

/** A backend's name, as configs spell it. */
export type Backend = string;

/** How a caller asks "can this backend work here?": by default the backend's own probe. */
export type Probe = (b: FirewallBackend) => Promise<boolean>;

/** The backends' own probes. */
export const systemProbe: Probe = (b) => b.usable();

/** "Is its tool installed?", without running anything (an ADD then costs no probe exec). */
export const pathProbe: Probe = async (b) => b.locate() === undefined;

/** For calls that will not touch the firewall: no probe, the registry's first backend. */
export const noProbe: Probe = async () => false;

const internal = (msg: string): CniError => new CniError(ErrorCode.Internal, msg);

async function first(): Promise<FirewallBackend> {
  const name = backendNames()[0];
  const b = name === undefined ? undefined : await findBackend(name);
  if (b === undefined) throw internal("no firewall backend is registered");
  return b;
}

/** Default when nothing in the config decides: the first usable backend, else the first. */
export async function defaultBackend(probe: Probe = systemProbe): Promise<FirewallBackend> {
  // One at a time: a backend after the first usable one is never loaded (its chunk costs an exec).
  for (const name of backendNames()) {
    const b = await findBackend(name);
    if (b !== undefined && (await probe(b))) return b;
  }
  return first();
}

/** bridge `ipMasqBackend`. An unknown name fails only when masquerading is set up, like the reference. */
export async function masqBackend(configured: string | undefined, probe: Probe = systemProbe): Promise<FirewallBackend> {
  if (configured === undefined) return defaultBackend(probe);
  const b = await findBackend(configured);
  if (b === undefined) throw internal(`unknown ipmasq backend ${goQuote(configured)}`);
  return b;
}

/**
 * The masquerade backend, checked before the plugin changes anything: a node without its tool gets
 * the reference's "failed to locate" error up front instead of after the bridge and veth exist.
 */
export async function masqBackendReady(configured: string | undefined, probe: Probe = pathProbe): Promise<FirewallBackend> {
  const backend = await masqBackend(configured, probe);
  const missing = backend.locate();
  if (missing === undefined) return backend;
  const hint = configured === undefined ? ` (ipMasq needs ${(await allBackends()).map((b) => b.tool).join(" or ")})` : "";
  throw internal(`${missing}${hint}`);
}

/**
 * A config with none of the options a backend may claim (every backend's `portmapOptions` looks
 * only at these): no backend needs loading to ask.
 */
function claimsNothing(conf: PortmapOptions): boolean {
  return conf.externalSetMarkChain === undefined && conditionsDialect(conf.conditionsV4) === undefined && conditionsDialect(conf.conditionsV6) === undefined;
}

export interface PortmapBackendConfig extends PortmapOptions {
  readonly backend?: string;
}

/** The registry's first backend's name (the default when no probe says otherwise), without loading it. */
function firstName(): string {
  const name = backendNames()[0];
  if (name === undefined) throw internal("no firewall backend is registered");
  return name;
}

/**
 * portmap's backend name, or the reference's error for a conflicting or unknown backend (without
 * the `failed to parse config: ` prefix the plugin adds). Backends are loaded only to be asked:
 * for the options they claim when the config holds any, and by a probe when the config leaves the
 * choice open (noProbe asks none: the first), so a call that touches no firewall loads none.
 */
export async function portmapBackendName(conf: PortmapBackendConfig, probe: Probe = systemProbe): Promise<string> {
  const claims = claimsNothing(conf) ? [] : (await allBackends()).map((b) => ({ b, options: b.portmapOptions(conf) })).filter((c) => c.options.length > 0);
  const fallback = firstName();
  let name = conf.backend;
  if (name === undefined) {
    // tscni deviation: options only a backend other than the default supports pick it instead of failing.
    const only = claims.length === 1 ? claims[0]?.b : undefined;
    name = only !== undefined && only.name !== fallback ? only.name : probe === noProbe ? fallback : (await defaultBackend(probe)).name;
  }
  const known = backendNames().includes(name);
  // As the reference: a registered backend conflicts with options of any other, an unknown name
  // with the first (default) backend's options; the conflict is reported before the unknown name.
  const wrong = find(claims, (c) => (known ? c.b.name !== name : c.b.name === fallback));
  if (wrong !== undefined) {
    throw internal(`${name} backend was requested but configuration contains ${wrong.b.name}-specific options [${wrong.options.join(" ")}]`);
  }
  if (!known) throw internal(`unrecognized backend ${goQuote(name)}`);
  return name;
}

/** portmap's backend (portmapBackendName's choice and errors), loaded. */
export async function portmapBackend(conf: PortmapBackendConfig, probe: Probe = systemProbe): Promise<FirewallBackend> {
  const backend = await findBackend(await portmapBackendName(conf, probe));
  if (backend === undefined) throw internal("no firewall backend is registered");
  return backend;
}
