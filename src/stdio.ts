/**
 * The plugin side of the pipes. stdout carries exactly one JSON document. `Bun.write` to
 * `Bun.stdout` is awaited until every byte is in the pipe: it waits out EAGAIN on a non-blocking
 * pipe whose reader is slow (Go runtimes hand plugins such pipes), so exiting right after can
 * never truncate the document — unlike `process.stdout.write`, which does. It also costs no
 * `node:fs` import (measured in docs/performance.md).
 */
import { mark, profiling } from "./profile.ts";
import { close, openReadOnly, pollIn, readFd } from "./sys/libc.ts";

const EINTR = 4;
const EAGAIN = 11;
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

/**
 * All of stdin, read with read(2) on the JS thread: `Bun.stdin.bytes()` costs several times more
 * CPU for the same bytes (it reads on Bun's thread pool). A non-blocking stdin is waited on with
 * poll(2).
 */
let libcLoaded = false;

export async function readStdin(): Promise<Uint8Array> {
  libcLoaded = true;
  // The first libc call loads libc (bun:ffi builds its trampolines then): in the profile that is
  // its own phase, not stdin's. A poll that returns at once is that first call.
  if (profiling()) {
    pollIn(0, 0);
    mark("libc");
  }
  let buf = new Uint8Array(16384);
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const r = readFd(0, buf.subarray(n));
    if (r.ret === 0) return buf.slice(0, n);
    if (r.ret > 0) n += r.ret;
    else if (r.errno === EAGAIN) pollIn(0, 1000);
    else if (r.errno !== EINTR) throw new Error(`read: errno ${r.errno}`);
  }
}

/**
 * A small /proc file, read synchronously through libc once stdin has loaded it (loading it here
 * would raise the peak RSS the profile reports); undefined when not loaded or unreadable. For the
 * profile's peak RSS: `Bun.file().text()` reads on Bun's thread pool, whose start-up after the
 * result is written would be counted as exit time.
 */
export function readProcFile(path: string): string | undefined {
  if (!libcLoaded) return undefined;
  const fd = openReadOnly(path);
  if (fd.ret < 0) return undefined;
  try {
    const buf = new Uint8Array(8192);
    const r = readFd(fd.ret, buf);
    return r.ret < 0 ? undefined : new TextDecoder().decode(buf.subarray(0, r.ret));
  } finally {
    close(fd.ret);
  }
}
