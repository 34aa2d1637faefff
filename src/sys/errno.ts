import { constants } from "node:os";

const names = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** `ENOENT` for 2, or `errno 123` for a number the platform table lacks. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `errno ${errno}`;
}

export const Errno = constants.errno;
