/** Node fs errors rendered the way Go's *os.PathError prints them (`open /x: no such file or directory`). */

const GO_STRERROR: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  EEXIST: "file exists",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EIO: "input/output error",
  EMFILE: "too many open files",
  EDQUOT: "disk quota exceeded",
};

interface NodeFsError {
  code?: string;
  syscall?: string;
  message?: string;
}

export function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null ? (err as NodeFsError).code : undefined;
}

export function goPathError(err: unknown, path: string): Error {
  const e = (typeof err === "object" && err !== null ? err : {}) as NodeFsError;
  const reason = (e.code !== undefined ? GO_STRERROR[e.code] : undefined) ?? e.message ?? String(err);
  const op = e.syscall === "read" ? "read" : e.syscall === "write" ? "write" : "open";
  return new Error(`${op} ${path}: ${reason}`, { cause: err });
}
