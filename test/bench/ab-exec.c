/*
 * Alternating A/B runs of single plugin execs, for start-up levers (docs/performance.md, "Start-up
 * budget"). C, not Bun: the runner must not fold its own RSS into the child's maxrss (a vfork
 * from a 200 MiB Bun does, see proc.ts), and it timestamps the first stdout byte, so the time
 * after the result (exit and teardown) is seen apart from the time before it.
 *
 *   gcc -O2 -o /tmp/ab-exec test/bench/ab-exec.c
 *   CNI_COMMAND=VERSION /tmp/ab-exec 30 stdin.json -- dist/loopback -- K=V dist/loopback -- ../shared/reference-bin/v1.9.1/loopback
 *
 * Each variant after `--` is [K=V ...] program [args]: the K=V are set in that variant's
 * environment only. Variants run in turn, the order reversed every round, after 2 warm-up
 * rounds. CNI_CONTAINERID is unique per run (host-local ADDs do not collide). With TSCNI_PROFILE
 * set, TSCNI_PROFILE_SPAWNED is set to the spawn time; AB_VERBOSE=1 echoes each run's stderr.
 * Prints per variant the medians of: wall (fork → reaped), to-stdout (fork → first stdout byte),
 * after-stdout (first stdout byte → reaped), CPU (wait4 rusage, user + system) and peak RSS.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_VARIANTS = 16, WARMUP = 2 };

static double now_ms(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(const double *v, int n) {
  double *c = malloc(n * sizeof *c);
  memcpy(c, v, n * sizeof *c);
  qsort(c, n, sizeof *c, by_value);
  double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
  free(c);
  return m;
}

struct sample { double wall, to_stdout, after_stdout, cpu, rss; };

static struct sample run_once(char **variant, const char *stdin_path, char *err, size_t errcap, int *status) {
  int out[2], errp[2];
  if (pipe(out) || pipe(errp)) { perror("pipe"); exit(2); }
  if (getenv("TSCNI_PROFILE")) {
    char b[64];
    snprintf(b, sizeof b, "%.3f", now_ms(CLOCK_REALTIME));
    setenv("TSCNI_PROFILE_SPAWNED", b, 1);
  }
  double t0 = now_ms(CLOCK_MONOTONIC);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(stdin_path, O_RDONLY);
    if (fd < 0) { perror(stdin_path); _exit(127); }
    dup2(fd, 0);
    dup2(out[1], 1);
    dup2(errp[1], 2);
    close(out[0]);
    close(errp[0]);
    char **a = variant;
    while (*a && strchr(*a, '=')) putenv(*a++);
    execv(a[0], a);
    _exit(127);
  }
  close(out[1]);
  close(errp[1]);
  double first = 0;
  size_t used = 0;
  int open_out = 1, open_err = 1;
  char buf[65536];
  while (open_out || open_err) {
    struct pollfd p[2] = {{open_out ? out[0] : -1, POLLIN, 0}, {open_err ? errp[0] : -1, POLLIN, 0}};
    poll(p, 2, -1);
    if (p[0].revents) {
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n > 0 && first == 0) first = now_ms(CLOCK_MONOTONIC);
      if (n <= 0) open_out = 0;
    }
    if (p[1].revents) {
      ssize_t n = read(errp[0], err + used, errcap - used - 1);
      if (n <= 0) open_err = 0; else used += n;
    }
  }
  struct rusage ru;
  wait4(pid, status, 0, &ru);
  double t1 = now_ms(CLOCK_MONOTONIC);
  close(out[0]);
  close(errp[0]);
  err[used] = 0;
  return (struct sample){
    .wall = t1 - t0,
    .to_stdout = first ? first - t0 : 0,
    .after_stdout = first ? t1 - first : 0,
    .cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
    .rss = ru.ru_maxrss / 1024.0,
  };
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s rounds stdin-file -- [K=V ...] program [args] [-- ...]\n", argv[0]);
    return 2;
  }
  int rounds = atoi(argv[1]);
  const char *stdin_path = argv[2];
  char **variants[MAX_VARIANTS];
  int nv = 0;
  for (int i = 3; i < argc && nv < MAX_VARIANTS; i++)
    if (!strcmp(argv[i], "--")) { argv[i] = NULL; variants[nv++] = &argv[i + 1]; }
  struct sample *s[MAX_VARIANTS];
  for (int v = 0; v < nv; v++) s[v] = calloc(rounds, sizeof **s);
  static char err[1 << 16];
  int verbose = getenv("AB_VERBOSE") != NULL;
  for (int r = 0; r < rounds + WARMUP; r++) {
    for (int k = 0; k < nv; k++) {
      int v = r % 2 ? nv - 1 - k : k;
      char id[64];
      snprintf(id, sizeof id, "ab-%d-%d-%d", getpid(), r, v);
      setenv("CNI_CONTAINERID", id, 1);
      int status;
      struct sample one = run_once(variants[v], stdin_path, err, sizeof err, &status);
      if (verbose && err[0]) fprintf(stderr, "[%d] %s", v, err);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fprintf(stderr, "variant %d: status %d %s\n", v, status, err);
      if (r >= WARMUP) s[v][r - WARMUP] = one;
    }
  }
  printf("%-58s %8s %9s %12s %7s %7s\n", "variant (medians)", "wall ms", "to-stdout", "after-stdout", "CPU ms", "RSS MiB");
  for (int v = 0; v < nv; v++) {
    char label[256] = "";
    for (char **a = variants[v]; *a; a++) {
      strncat(label, *a, sizeof label - strlen(label) - 2);
      if (!strchr(*a, '=')) break;
      strcat(label, " ");
    }
    double col[5][rounds];
    for (int i = 0; i < rounds; i++) {
      col[0][i] = s[v][i].wall;
      col[1][i] = s[v][i].to_stdout;
      col[2][i] = s[v][i].after_stdout;
      col[3][i] = s[v][i].cpu;
      col[4][i] = s[v][i].rss;
    }
    printf("%-58s %8.2f %9.2f %12.2f %7.2f %7.1f\n", label, median(col[0], rounds), median(col[1], rounds),
           median(col[2], rounds), median(col[3], rounds), median(col[4], rounds));
  }
  return 0;
}
