/**
 * Who runs `tscni install`, so a refusal names the switch that caller has: `make install FORCE=1`,
 * the CLI's `--force`, the DaemonSet's ConfigMap key. make and the packaging set
 * TSCNI_INSTALL_CALLER; a person at a shell does not.
 */
export type Caller = "cli" | "make" | "deb" | "daemonset";

export function callerFrom(env: Readonly<Record<string, string | undefined>>): Caller {
  const v = env.TSCNI_INSTALL_CALLER;
  return v === "make" || v === "deb" || v === "daemonset" ? v : "cli";
}

/** "to <what> them, <switch>" in the caller's words. */
export function forceHint(caller: Caller, what: "replace" | "rewrite", plural = false): string {
  const it = plural ? "them" : "it";
  switch (caller) {
    case "make":
      return `to ${what} ${it}, run make install FORCE=1`;
    case "daemonset":
      return `to ${what} ${it}, set force: "true" in the tscni-config ConfigMap`;
    case "deb":
      return `to ${what} ${it}, set TSCNI_REPLACE_FOREIGN=yes in /etc/default/tscni and run dpkg --configure -a`;
    default:
      return `to ${what} ${it}, add --force`;
  }
}
