/*
 * How many MarkedBlocks a plugin exec allocates (docs/performance.md, "Storm memory"): JSC starts
 * its MarkedBlock warm-up helper thread (JSCWarmUp, then mimalloc's scavenger) once a process has
 * allocated BUN_JSC_warmUpMarkedBlockStartAfterBlocks blocks (64 by default), so the smallest value
 * at which no such thread exists at exit is the exec's block count. This LD_PRELOAD library
 * interposes exit/_exit/_Exit/quick_exit and, before the real one runs, appends one line to the
 * file named by STORM_BLOCKS_OUT: whether a JSCWarmUp thread exists, whether another thread still
 * carries the process's own name (a helper started but not yet named: counted as started), the
 * thread count and the Anonymous KiB of /proc/self/smaps_rollup. stdout must be a pipe (a regular
 * file makes Bun write through its thread pool, whose threads are not the helper's).
 *
 *   gcc -O2 -shared -fPIC -o /tmp/storm-blocks.so test/bench/storm-blocks.c -ldl
 *   env STORM_BLOCKS_OUT=/tmp/p LD_PRELOAD=/tmp/storm-blocks.so BUN_JSC_warmUpMarkedBlockStartAfterBlocks=64 \
 *     CNI_COMMAND=ADD … dist/loopback < conf.json | cat
 *   → "warm=1 unnamed=0 threads=3 anonKiB=3624"; bisect the threshold for warm=0 unnamed=0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  int n = (int)read(fd, buf, size - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  return n;
}

static void report(void) {
  static int done = 0;
  const char *out = getenv("STORM_BLOCKS_OUT");
  if (done || out == NULL) return;
  done = 1;
  char self[64], name[64], path[300], line[256];
  read_small("/proc/self/comm", self, sizeof self);
  int warm = 0, unnamed = 0, threads = 0;
  DIR *d = opendir("/proc/self/task");
  for (struct dirent *e = d ? readdir(d) : NULL; e != NULL; e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    threads++;
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    if (read_small(path, name, sizeof name) <= 0) continue;
    if (strstr(name, "JSCWarmUp") != NULL) warm = 1;
    if (atoi(e->d_name) != getpid() && strcmp(name, self) == 0) unnamed = 1;
  }
  if (d != NULL) closedir(d);
  long anon = -1;
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "Anonymous:", 10) == 0) anon = atol(line + 10);
  if (f != NULL) fclose(f);
  FILE *o = fopen(out, "a");
  if (o == NULL) return;
  fprintf(o, "warm=%d unnamed=%d threads=%d anonKiB=%ld\n", warm, unnamed, threads, anon);
  fclose(o);
}

#define INTERPOSE(fn)                                   \
  void fn(int code) {                                   \
    report();                                           \
    void (*real)(int) = (void (*)(int))dlsym(RTLD_NEXT, #fn); \
    real(code);                                         \
    __builtin_unreachable();                            \
  }
INTERPOSE(exit)
INTERPOSE(_exit)
INTERPOSE(_Exit)
INTERPOSE(quick_exit)
