/**
 * The plugin side of the pipe. stdout carries exactly one JSON document, written synchronously
 * so that exiting right after can never truncate it on a pipe (Bun trap: async write + exit).
 */
import { writeSync } from "node:fs";

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      Bun.sleepSync(1);
    }
  }
}

export const writeStdout = (text: string): void => writeAll(1, text);
export const writeStderr = (text: string): void => writeAll(2, text);

export async function readStdin(): Promise<Uint8Array> {
  return await Bun.stdin.bytes();
}
