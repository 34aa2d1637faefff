/**
 * POSIX path text as node:path computes it, for the plugin-call paths that must not load node:path
 * (importing it compiles Bun's JS implementation from source: +1.1 M instructions per exec;
 * docs/performance.md). test/unit/sys/paths-files.test.ts compares them with node:path.
 */

/** `path.resolve(...segments)`: absolute, normalised, no trailing slash; relative to the cwd. */
export function resolvePath(...segments: string[]): string {
  let joined = "";
  for (let i = segments.length - 1; i >= 0 && !joined.startsWith("/"); i--) {
    const s = segments[i] ?? "";
    if (s !== "") joined = joined === "" ? s : `${s}/${joined}`;
  }
  if (!joined.startsWith("/")) joined = joined === "" ? process.cwd() : `${process.cwd()}/${joined}`;
  const parts: string[] = [];
  for (const p of joined.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return `/${parts.join("/")}`;
}

/** `path.dirname(path)`, node's algorithm (it keeps a doubled slash before the last name). */
export function dirnamePath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  let end = -1;
  let inTrailingSlashes = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") inTrailingSlashes = false;
    else if (!inTrailingSlashes) {
      end = i;
      break;
    }
  }
  if (end === -1) return rooted ? "/" : ".";
  return rooted && end === 1 ? "//" : path.slice(0, end);
}

/**
 * `path.join(dir, name)` for any `dir` (relative, `..`, doubled slashes: normalised as node does)
 * and one plain file name (no slash).
 */
export function joinPath(dir: string, name: string): string {
  const absolute = dir.startsWith("/");
  const parts: string[] = [];
  for (const p of `${dir}/${name}`.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (p !== ".." || !absolute) parts.push(p);
  }
  const body = parts.join("/");
  return absolute ? `/${body}` : body === "" ? "." : body;
}

/** `path.join(dir, name)` for a normalised absolute `dir` and one plain file name. */
export function childPath(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}
