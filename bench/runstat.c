/*
 * bench/runstat OUTFILE COMMAND [ARG...]: bench/client.sh's stopwatch.
 *
 * Runs COMMAND (fork + execvp, stdio inherited), waits for it with wait4()
 * and appends one line to OUTFILE:
 *
 *     WALL_S USER_S SYS_S MAXRSS_KB STATUS
 *
 * wall time from CLOCK_MONOTONIC around fork..wait, user and system CPU time
 * and peak RSS (ru_maxrss) of the child from its rusage, STATUS its exit
 * status (128 + signal number if killed). Exits with STATUS.
 *
 * Why not /usr/bin/time: GNU time prints wall and CPU time with 10 ms
 * resolution, coarser than one cmpkit process takes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    struct rusage ru;
    double t0, t1;
    pid_t pid, r;
    int st, code;
    FILE *f;

    if (argc < 3) {
        fprintf(stderr, "usage: runstat OUTFILE COMMAND [ARG...]\n");
        return 2;
    }
    t0 = now();
    pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "runstat: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    do
        r = wait4(pid, &st, 0, &ru);
    while (r < 0 && errno == EINTR);
    t1 = now();
    if (r < 0) {
        perror("runstat: wait4");
        return 2;
    }
    code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    f = fopen(argv[1], "a");
    if (f == NULL) {
        fprintf(stderr, "runstat: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    fprintf(f, "%.6f %.6f %.6f %ld %d\n", t1 - t0, tv(ru.ru_utime), tv(ru.ru_stime),
            ru.ru_maxrss, code);
    if (fclose(f) != 0) {
        perror("runstat: fclose");
        return 2;
    }
    return code;
}
