/* ctx.c: the context, its last error, status texts and allocation helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int wr_ctx_new(wr_ctx **out) {
    if (!out) return WR_ERR_ARG;
    *out = calloc(1, sizeof(wr_ctx));
    return *out ? WR_OK : WR_ERR_NOMEM;
}

void wr_ctx_free(wr_ctx *ctx) { free(ctx); }

const char *wr_last_error(const wr_ctx *ctx) { return ctx ? ctx->err : "no context"; }

const char *wr_version(void) { return "0.1.0"; }

const char *wr_status_str(int status) {
    switch (status) {
    case WR_OK: return "ok";
    case WR_ERR_ARG: return "bad argument";
    case WR_ERR_NOMEM: return "out of memory";
    case WR_ERR_PARSE: return "malformed input data";
    case WR_ERR_FORMAT: return "invalid model file";
    case WR_ERR_STATE: return "call made in the wrong state";
    case WR_ERR_NAN: return "training diverged (NaN)";
    case WR_ERR_IO: return "file could not be read or written";
    default: return "unknown status";
    }
}

int wr__err(wr_ctx *ctx, int code, const char *fmt, ...) {
    if (ctx) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
        va_end(ap);
    }
    return code;
}

int wr__oom(wr_ctx *ctx, const char *what) {
    return wr__err(ctx, WR_ERR_NOMEM, "out of memory while %s", what);
}

int wr_ctx_set_memory_mb(wr_ctx *ctx, double mb) {
    if (!ctx) return WR_ERR_ARG;
    if (!(mb >= 1 && mb <= 1048576)) return wr__err(ctx, WR_ERR_ARG, "the memory budget must be between 1 and 1048576 MB, got %g", mb);
    ctx->memory_mb = mb;
    return WR_OK;
}

double wr_ctx_memory_mb(const wr_ctx *ctx) { return ctx && ctx->memory_mb > 0 ? ctx->memory_mb : WR_MEMORY_MB_DEFAULT; }

int wr__budget(wr_ctx *ctx, double bytes, const char *what) {
    const double mb = bytes / 1048576.0, budget = wr_ctx_memory_mb(ctx);
    /* a wasm32 module addresses 4 GB in all: past it, sizes wrap and memory cannot grow */
    const double space = sizeof(size_t) < 8 ? 4096.0 : 1e300;
    if (mb > space && budget > space)
        return wr__err(ctx, WR_ERR_ARG, "%s: %.0f MB, more than the 4096 MB a WebAssembly module can address; lower those settings", what, mb);
    if (mb > budget)
        return wr__err(ctx, WR_ERR_ARG, "%s: %.0f MB, over the memory budget of %.0f MB; lower those settings, or raise the budget "
                       "(--memory-mb, the engine's memoryMB, wr_ctx_set_memory_mb)", what, mb, budget);
    return WR_OK;
}

/* The fault hook (see core.h): the armed context and its countdown. Thread-local, since the
 * engine's allocations carry no context of their own. */
static _Thread_local wr_ctx *armed;

void wr__ctx_fail_alloc(wr_ctx *ctx, int64_t k) {
    armed = k > 0 ? ctx : NULL;
    if (ctx) {
        ctx->alloc_fail_at = k;
        ctx->alloc_count = 0;
    }
}

int64_t wr__ctx_alloc_count(const wr_ctx *ctx) { return ctx ? ctx->alloc_count : 0; }

/* Out of line, so a debugger can stop where the failure is injected (break wr__fault). */
__attribute__((noinline)) int wr__fault(void) { return 1; }

static int injected_failure(void) { return armed && ++armed->alloc_count == armed->alloc_fail_at && wr__fault(); }

void *wr__malloc(size_t n) { return injected_failure() ? NULL : malloc(n ? n : 1); }

void *wr__calloc(size_t count, size_t size) {
    if (injected_failure()) return NULL;
    if (count == 0 || size == 0) return calloc(1, 1);
    return calloc(count, size);
}

void *wr__realloc(void *p, size_t n) { return injected_failure() ? NULL : realloc(p, n ? n : 1); }

void *wr__realloc_array(void *p, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    return wr__realloc(p, count * size);
}

void *wr_malloc(size_t n) { return wr__malloc(n); }
void wr_free(void *p) { free(p); }

char *wr__strndup(const char *s, size_t n) {
    char *d = wr__malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *wr__strdup(const char *s) { return wr__strndup(s, strlen(s)); }
