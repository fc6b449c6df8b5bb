/* host_stdio.c: the host hooks on stdio, for the native CLI and the C test programs. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/core.h"
#include "host.h"

void wr__host_print(int fd, const char *s, size_t n) {
    FILE *f = fd == 2 ? stderr : stdout;
    fwrite(s, 1, n, f);
    fflush(f);
}

int wr__host_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    wr_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) wr__buf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad || b.failed) {
        snprintf(err, errlen, "%s: %s", path, bad ? "read error" : "out of memory reading file");
        wr__buf_free(&b);
        return -1;
    }
    *out = wr__buf_take(&b, len);
    return *out ? 0 : -1;
}

int wr__host_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(tmp, plen + 16, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

double wr__now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int wr__host_cores(void) {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 && n <= 64 ? (int)n : 1;
}
