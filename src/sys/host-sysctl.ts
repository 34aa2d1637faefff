/**
 * Writes a sysctl of the namespace this process runs in (portmap runs in the host's), through
 * /proc/sys. Keys use dots or slashes; every path element must be a plain name, so an interface
 * name cannot walk out of /proc/sys.
 */
import { writeFileSync } from "node:fs";

export function writeOwnSysctl(key: string, value: string): void {
  const parts = key.includes("/") ? key.split("/") : key.split(".");
  if (parts.some((p) => p === "" || p === "." || p === ".." || p.includes("/") || p.includes("\0"))) {
    throw new Error(`invalid sysctl key ${JSON.stringify(key)}`);
  }
  writeFileSync(`/proc/sys/${parts.join("/")}`, value);
}
