/* buf.c: a growable byte buffer for JSON and file output, and a stable merge sort. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void wr__buf_append(wr_buf *b, const void *data, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = wr__realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
}

void wr__buf_puts(wr_buf *b, const char *s) { wr__buf_append(b, s, strlen(s)); }

void wr__buf_printf(wr_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        wr__buf_append(b, small, (size_t)n);
        return;
    }
    char *big = wr__malloc((size_t)n + 1);
    if (!big) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    wr__buf_append(b, big, (size_t)n);
    free(big);
}

void wr__buf_json_str(wr_buf *b, const char *s) {
    wr__buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            wr__buf_append(b, esc, 2);
        } else if (*p < 0x20) {
            wr__buf_printf(b, "\\u%04x", *p);
        } else {
            wr__buf_append(b, p, 1);
        }
    }
    wr__buf_append(b, "\"", 1);
}

void wr__buf_json_num(wr_buf *b, double x) {
    if (!isfinite(x)) {
        wr__buf_puts(b, "null");
        return;
    }
    wr__buf_printf(b, "%.6g", x);
}

void wr__buf_free(wr_buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

char *wr__buf_take(wr_buf *b, size_t *len) {
    if (!b->data && !b->failed) wr__buf_append(b, "", 0);
    if (b->failed) {
        wr__buf_free(b);
        return NULL;
    }
    char *d = b->data;
    if (len) *len = b->len;
    memset(b, 0, sizeof *b);
    return d;
}

static void merge_sort(char *a, char *tmp, size_t n, size_t size,
                       int (*cmp)(const void *, const void *, void *), void *arg) {
    if (n < 2) return;
    size_t h = n / 2;
    merge_sort(a, tmp, h, size, cmp, arg);
    merge_sort(a + h * size, tmp, n - h, size, cmp, arg);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (cmp(a + j * size, a + i * size, arg) < 0) memcpy(tmp + (k++) * size, a + (j++) * size, size);
        else memcpy(tmp + (k++) * size, a + (i++) * size, size);
    }
    while (i < h) memcpy(tmp + (k++) * size, a + (i++) * size, size);
    while (j < n) memcpy(tmp + (k++) * size, a + (j++) * size, size);
    memcpy(a, tmp, n * size);
}

int wr__sort_stable(void *base, size_t n, size_t size,
                    int (*cmp)(const void *a, const void *b, void *arg), void *arg) {
    if (n < 2) return 0;
    char *tmp = wr__realloc_array(NULL, n, size);
    if (!tmp) return -1;
    merge_sort(base, tmp, n, size, cmp, arg);
    free(tmp);
    return 0;
}

void wr__buf_csv(wr_buf *b, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        wr__buf_puts(b, s);
        return;
    }
    wr__buf_puts(b, "\"");
    for (; *s; s++) wr__buf_append(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    wr__buf_puts(b, "\"");
}
