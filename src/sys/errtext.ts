import { strerror } from "./libc.ts";

/**
 * The text Go prints for a syscall errno ("no such file or directory"): glibc's strerror with a
 * lower-case first letter, which is what Go's own table holds for the errnos we meet. Plugins
 * put this text into CNI error messages, so it must match the reference's wording.
 */
export function errnoText(errno: number): string {
  const text = strerror(errno);
  return text.charAt(0).toLowerCase() + text.slice(1);
}
