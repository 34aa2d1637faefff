/** One preflight check's outcome, as `tscni doctor` prints it and as `--json` carries it. */
export type Severity = "ok" | "warning" | "error";

export interface Check {
  /** Stable, kebab-case: scripts match on it ("bridge-nf-call-iptables", "runtime-env"). */
  id: string;
  severity: Severity;
  detail: string;
  /** One line that repairs it; "" when there is nothing to do. */
  fix: string;
}

export const ok = (id: string, detail: string): Check => ({ id, severity: "ok", detail, fix: "" });
export const warning = (id: string, detail: string, fix: string): Check => ({ id, severity: "warning", detail, fix });
export const error = (id: string, detail: string, fix: string): Check => ({ id, severity: "error", detail, fix });

/** The files doctor reads under /proc, relocatable so tests can feed a CPU or process they cannot create. */
export interface ProcRoot {
  readonly proc: string;
}
