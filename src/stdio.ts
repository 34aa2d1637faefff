/**
 * The plugin side of the pipes. stdout carries exactly one JSON document. `Bun.write` to
 * `Bun.stdout` is awaited until every byte is in the pipe: it waits out EAGAIN on a non-blocking
 * pipe whose reader is slow (Go runtimes hand plugins such pipes), so exiting right after can
 * never truncate the document — unlike `process.stdout.write`, which does. It also costs no
 * `node:fs` import (measured in docs/performance.md).
 */
async function writeAll(sink: typeof Bun.stdout, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) {
    const n = await Bun.write(sink, off === 0 ? bytes : bytes.subarray(off));
    if (n <= 0) throw new Error(`short write (${off} of ${bytes.length} bytes)`);
    off += n;
  }
}

export const writeStdout = (text: string): Promise<void> => writeAll(Bun.stdout, text);
export const writeStderr = (text: string): Promise<void> => writeAll(Bun.stderr, text);

export async function readStdin(): Promise<Uint8Array> {
  return await Bun.stdin.bytes();
}
