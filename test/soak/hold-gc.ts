/**
 * A plugin exec for replaying the GC-versus-ADD interleaving: the first GC exec is held at its
 * start (the runtime has read its valid list and done libcni's stale-cache pass) until `release`
 * settles; every exec then runs the real binary, and `ran` sees each request once it has.
 */
import { type PluginExec, spawnPlugin, type ExecRequest } from "../../src/runtime/index.ts";

export function holdFirstGc(release: Promise<void>, ran: (req: ExecRequest) => void = () => {}): { exec: PluginExec; held: Promise<void> } {
  let reach!: () => void;
  const held = new Promise<void>((r) => (reach = r));
  let holding = false;
  const exec: PluginExec = async (req) => {
    if (req.env.CNI_COMMAND === "GC" && !holding) {
      holding = true;
      reach();
      await release;
    }
    const reply = await spawnPlugin(req);
    ran(req);
    return reply;
  };
  return { exec, held };
}
