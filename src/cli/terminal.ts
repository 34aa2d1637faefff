/**
 * The CLI's writes are synchronous: commands print line by line, interleave stdout and stderr,
 * and the process exits right after the last one, so nothing may still be queued then. (The
 * plugin path writes one document asynchronously instead; see src/stdio.ts.)
 */
import { writeSync } from "node:fs";

function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      // A non-blocking pipe whose reader is slow: wait for room instead of losing the rest.
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      Bun.sleepSync(1);
    }
  }
}

export const printOut = (text: string): void => writeAllSync(1, text);
export const printErr = (text: string): void => writeAllSync(2, text);
