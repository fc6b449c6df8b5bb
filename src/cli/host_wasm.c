/* host_wasm.c: the host hooks as imports from the module "wasmrec" (wasm/wasmrec.mjs gives
 * them: Node's fs for the CLI; in a page file access answers with an error). */
#include <string.h>

#include "../core/core.h"
#include "host.h"

#define WR_IMPORT(name) __attribute__((import_module("wasmrec"), import_name(name)))

WR_IMPORT("print") void wr_js_print(int fd, const char *s, size_t n);
WR_IMPORT("read_file") int wr_js_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen);
WR_IMPORT("write_file") int wr_js_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen);
WR_IMPORT("now_ms") double wr_js_now_ms(void);
WR_IMPORT("cores") int wr_js_cores(void);

void wr__host_print(int fd, const char *s, size_t n) { wr_js_print(fd, s, n); }

int wr__host_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen) {
    return wr_js_read_file(path, out, len, err, errlen);
}

int wr__host_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen) {
    return wr_js_write_file(path, data, len, err, errlen);
}

double wr__now_ms(void) { return wr_js_now_ms(); }

/* the threads the binding started for this instance (1 in the single-thread module) */
int wr__host_cores(void) { return wr_js_cores(); }
