import { closeFile, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, openPath, readText, writeText } from "./files.ts";
import type { NetNs } from "./netns.ts";
import { withNetnsSync } from "./netns.ts";

/**
 * Path under /proc/sys for a sysctl name. Slashed names ("net/ipv6/conf/eth0.100/accept_ra")
 * are used as they are. Dotted names follow sysctl(8): dots separate levels and a slash stands
 * for a dot inside one level ("net.ipv6.conf.eth0/100.accept_ra").
 */
export function sysctlPath(name: string): string {
  let rel = name.startsWith("/proc/sys/") ? name.slice("/proc/sys/".length) : name.replace(/^\/+/, "");
  const firstDot = rel.indexOf(".");
  const firstSlash = rel.indexOf("/");
  const dotted = firstDot >= 0 && (firstSlash < 0 || firstDot < firstSlash);
  if (dotted) rel = rel.replace(/[./]/g, (c) => (c === "." ? "/" : "."));
  const parts = rel.split("/");
  if (parts.includes("..") || parts.includes("")) throw new Error(`invalid sysctl name ${JSON.stringify(name)}`);
  return `/proc/sys/${rel}`;
}

/** Reads a sysctl (trailing newline removed); inside `ns` when given. /proc/sys/net is per netns. */
export function sysctlGet(name: string, ns?: NetNs): string {
  const path = sysctlPath(name);
  const read = (): string => {
    const fd = openPath(path, O_RDONLY);
    try {
      return readText(fd, path).replace(/\n$/, "");
    } finally {
      closeFile(fd);
    }
  };
  return ns === undefined ? read() : withNetnsSync(ns, read);
}

/**
 * Writes a sysctl; inside `ns` when given. Errors are FileErrors shaped like node:fs's (code
 * ENOENT, EACCES, …): through libc, because loading node:fs costs an exec ~2.8 M instructions.
 */
export function sysctlSet(name: string, value: string, ns?: NetNs): void {
  const path = sysctlPath(name);
  const write = (): void => {
    const fd = openPath(path, O_WRONLY | O_CREAT | O_TRUNC);
    try {
      writeText(fd, value, path);
    } finally {
      closeFile(fd);
    }
  };
  if (ns === undefined) write();
  else withNetnsSync(ns, write);
}
