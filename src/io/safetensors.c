/* safetensors.c: safetensors read/write. A hostile file must never cause an out-of-bounds read:
 * everything is validated against the byte length before data is used. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "safetensors.h"

#define WR_ST_MAX_HEADER (100u << 20) /* the reference implementation's limit */

static const char *dtype_names[] = {"F32", "I32", "I64", "U8"};
static const size_t dtype_sizes[] = {4, 4, 8, 1};

void wr__st_init(wr_st_file *f) { memset(f, 0, sizeof *f); }

void wr__st_free(wr_st_file *f) {
    for (int i = 0; i < 2 * f->n_meta; i++) free(f->meta[i]);
    free(f->meta);
    free(f->t);
    memset(f, 0, sizeof *f);
}

int wr__st_add(wr_st_file *f, const char *name, wr_dtype dtype, int ndim, const int64_t *shape,
               const void *data) {
    if (strlen(name) >= WR_ST_MAX_NAME || ndim < 0 || ndim > WR_ST_MAX_DIMS) return -1;
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 8;
        wr_st_tensor *t = wr__realloc_array(f->t, (size_t)cap, sizeof *t);
        if (!t) return -1;
        f->t = t;
        f->cap = cap;
    }
    wr_st_tensor *t = &f->t[f->n++];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->dtype = dtype;
    t->ndim = ndim;
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        count *= (size_t)shape[i];
    }
    t->data = data;
    t->nbytes = count * dtype_sizes[dtype];
    return 0;
}

int wr__st_set_meta(wr_st_file *f, const char *key, const char *value) {
    char **m = wr__realloc_array(f->meta, (size_t)(f->n_meta + 1) * 2, sizeof *m);
    if (!m) return -1;
    f->meta = m;
    m[2 * f->n_meta] = wr__strdup(key);
    m[2 * f->n_meta + 1] = wr__strdup(value);
    if (!m[2 * f->n_meta] || !m[2 * f->n_meta + 1]) {
        free(m[2 * f->n_meta]);
        free(m[2 * f->n_meta + 1]);
        return -1;
    }
    f->n_meta++;
    return 0;
}

int wr__st_serialize(const wr_st_file *f, uint8_t **out, size_t *len) {
    wr_buf h = {0};
    size_t offset = 0;
    wr__buf_puts(&h, "{");
    if (f->n_meta) {
        wr__buf_puts(&h, "\"__metadata__\":{");
        for (int i = 0; i < f->n_meta; i++) {
            if (i) wr__buf_puts(&h, ",");
            wr__buf_json_str(&h, f->meta[2 * i]);
            wr__buf_puts(&h, ":");
            wr__buf_json_str(&h, f->meta[2 * i + 1]);
        }
        wr__buf_puts(&h, "}");
    }
    for (int i = 0; i < f->n; i++) {
        const wr_st_tensor *t = &f->t[i];
        if (i || f->n_meta) wr__buf_puts(&h, ",");
        wr__buf_json_str(&h, t->name);
        wr__buf_printf(&h, ":{\"dtype\":\"%s\",\"shape\":[", dtype_names[t->dtype]);
        for (int d = 0; d < t->ndim; d++) wr__buf_printf(&h, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        wr__buf_printf(&h, "],\"data_offsets\":[%zu,%zu]}", offset, offset + t->nbytes);
        offset += t->nbytes;
    }
    wr__buf_puts(&h, "}");
    while (!h.failed && h.len % 8) wr__buf_puts(&h, " "); /* align the data section to 8 bytes */
    if (h.failed) {
        wr__buf_free(&h);
        return -1;
    }
    size_t total = 8 + h.len + offset;
    uint8_t *b = wr__malloc(total ? total : 1);
    if (!b) {
        wr__buf_free(&h);
        return -1;
    }
    uint64_t n = h.len;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(n >> (8 * i));
    memcpy(b + 8, h.data, h.len);
    uint8_t *p = b + 8 + h.len;
    for (int i = 0; i < f->n; i++) {
        if (f->t[i].nbytes) memcpy(p, f->t[i].data, f->t[i].nbytes);
        p += f->t[i].nbytes;
    }
    wr__buf_free(&h);
    *out = b;
    *len = total;
    return 0;
}

static int cmp_begin(const void *a, const void *b, void *arg) {
    const wr_st_tensor *x = a, *y = b;
    const uint8_t *base = arg;
    size_t bx = (size_t)((const uint8_t *)x->data - base), by = (size_t)((const uint8_t *)y->data - base);
    return bx < by ? -1 : bx > by;
}

#define FERR(...) wr__err(ctx, WR_ERR_FORMAT, __VA_ARGS__)

static int parse_tensor(wr_ctx *ctx, const char *src, const char *hdr, const wr_json_tok *toks,
                        int v, const uint8_t *data, size_t data_len, wr_st_tensor *t) {
    if (toks[v].type != WR_JSON_OBJ) return FERR("%s: tensor \"%s\": entry is not an object", src, t->name);
    int dt = wr__json_get(hdr, toks, v, "dtype"), sh = wr__json_get(hdr, toks, v, "shape"),
        off = wr__json_get(hdr, toks, v, "data_offsets");
    if (dt < 0 || sh < 0 || off < 0)
        return FERR("%s: tensor \"%s\": missing %s", src, t->name, dt < 0 ? "dtype" : sh < 0 ? "shape" : "data_offsets");
    int found = -1;
    for (int d = 0; d < 4; d++) {
        size_t n = strlen(dtype_names[d]);
        if (toks[dt].type == WR_JSON_STR && toks[dt].end - toks[dt].start == n && !memcmp(hdr + toks[dt].start, dtype_names[d], n)) found = d;
    }
    if (found < 0) {
        int n = (int)(toks[dt].end - toks[dt].start);
        return FERR("%s: tensor \"%s\": unsupported dtype %.*s (this engine reads F32, I32, I64, U8)", src, t->name, n > 20 ? 20 : n, hdr + toks[dt].start);
    }
    t->dtype = (wr_dtype)found;
    if (toks[sh].type != WR_JSON_ARR || toks[sh].size > WR_ST_MAX_DIMS)
        return FERR("%s: tensor \"%s\": shape must be an array of at most %d sizes", src, t->name, WR_ST_MAX_DIMS);
    t->ndim = toks[sh].size;
    uint64_t count = 1;
    for (int d = 0; d < t->ndim; d++) {
        long long s;
        if (wr__json_int(hdr, &toks[sh + 1 + d], 0, (1LL << 40), &s) < 0)
            return FERR("%s: tensor \"%s\": shape[%d] is not a size", src, t->name, d);
        t->shape[d] = s;
        if (s && count > (UINT64_MAX >> 8) / (uint64_t)s) return FERR("%s: tensor \"%s\": shape too large", src, t->name);
        count *= (uint64_t)s;
    }
    long long b, e;
    if (toks[off].type != WR_JSON_ARR || toks[off].size != 2 ||
        wr__json_int(hdr, &toks[off + 1], 0, (long long)(SIZE_MAX >> 1), &b) < 0 ||
        wr__json_int(hdr, &toks[off + 2], 0, (long long)(SIZE_MAX >> 1), &e) < 0)
        return FERR("%s: tensor \"%s\": data_offsets must be [begin, end]", src, t->name);
    if (b > e) return FERR("%s: tensor \"%s\": data_offsets begin %lld is after end %lld", src, t->name, b, e);
    if ((uint64_t)e > data_len)
        return FERR("%s: tensor \"%s\": data_offsets end %lld is past the end of the data (%zu bytes): file truncated?", src, t->name, e, data_len);
    if ((uint64_t)(e - b) != count * dtype_sizes[found])
        return FERR("%s: tensor \"%s\": %lld bytes of data do not match shape and dtype (%llu bytes)", src, t->name, e - b, (unsigned long long)(count * dtype_sizes[found]));
    t->data = data + b;
    t->nbytes = (size_t)(e - b);
    return WR_OK;
}

int wr__st_parse(wr_ctx *ctx, const uint8_t *bytes, size_t len, const char *src, wr_st_file *f) {
    wr__st_init(f);
    if (!src) src = "model";
    if (len < 8) return FERR("%s: not a safetensors file: %zu bytes, the header length alone takes 8", src, len);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)bytes[i] << (8 * i);
    if (n > len - 8) return FERR("%s: header length %llu is past the end of the file (%zu bytes): file truncated or not safetensors", src, (unsigned long long)n, len);
    if (n > WR_ST_MAX_HEADER) return FERR("%s: header length %llu is over the 100 MB limit", src, (unsigned long long)n);
    const char *hdr = (const char *)bytes + 8;
    if (n < 2 || hdr[0] != '{') return FERR("%s: not a safetensors file: the header does not start with '{'", src);
    wr_json_tok *toks = NULL;
    int ntok = 0;
    char jerr[160];
    size_t hlen = (size_t)n;
    while (hlen > 0 && hdr[hlen - 1] == ' ') hlen--; /* header padding */
    int jr = wr__json_parse(hdr, hlen, &toks, &ntok, jerr, sizeof jerr);
    if (jr == WR_ERR_NOMEM) return wr__oom(ctx, "reading the model file's header");
    if (jr < 0) return FERR("%s: header: %s", src, jerr);
    int rc = WR_OK;
    if (toks[0].type != WR_JSON_OBJ) {
        rc = FERR("%s: header is not a JSON object", src);
        goto done;
    }
    const uint8_t *data = bytes + 8 + n;
    size_t data_len = len - 8 - (size_t)n;
    int i = 1;
    for (int k = 0; k < toks[0].size && rc == WR_OK; k++) {
        int v = toks[i].skip;
        char *name = wr__json_str(hdr, &toks[i]);
        if (!name) { /* a key is always a string */
            rc = wr__oom(ctx, "reading the model file's header");
            break;
        }
        if (!strcmp(name, "__metadata__")) {
            if (toks[v].type != WR_JSON_OBJ) rc = FERR("%s: __metadata__ is not an object", src);
            int j = v + 1;
            for (int m = 0; rc == WR_OK && m < toks[v].size; m++) {
                int mv = toks[j].skip;
                if (toks[mv].type != WR_JSON_STR) {
                    rc = FERR("%s: __metadata__ values must be strings", src);
                    break;
                }
                char *key = wr__json_str(hdr, &toks[j]), *val = wr__json_str(hdr, &toks[mv]);
                if (!key || !val || wr__st_set_meta(f, key, val) < 0) rc = wr__oom(ctx, "reading the model file's metadata");
                free(key);
                free(val);
                j = toks[mv].skip;
            }
        } else if (strlen(name) >= WR_ST_MAX_NAME) {
            rc = FERR("%s: tensor name longer than %d bytes", src, WR_ST_MAX_NAME - 1);
        } else {
            if (f->n == f->cap) {
                int cap = f->cap ? f->cap * 2 : 8;
                wr_st_tensor *t = wr__realloc_array(f->t, (size_t)cap, sizeof *t);
                if (!t) {
                    rc = wr__oom(ctx, "reading a model header");
                    free(name);
                    break;
                }
                f->t = t;
                f->cap = cap;
            }
            wr_st_tensor *t = &f->t[f->n];
            memset(t, 0, sizeof *t);
            strcpy(t->name, name);
            for (int o = 0; o < f->n; o++)
                if (!strcmp(f->t[o].name, name)) rc = FERR("%s: tensor \"%s\" appears twice", src, name);
            if (rc == WR_OK) rc = parse_tensor(ctx, src, hdr, toks, v, data, data_len, t);
            if (rc == WR_OK) f->n++;
        }
        free(name);
        i = toks[v].skip;
    }
    if (rc == WR_OK && f->n > 1) {
        /* Overlap check on a sorted copy, so the file's order stays as written. */
        wr_st_tensor *sorted = wr__realloc_array(NULL, (size_t)f->n, sizeof *sorted);
        if (!sorted) rc = wr__oom(ctx, "reading a model header");
        else {
            memcpy(sorted, f->t, (size_t)f->n * sizeof *sorted);
            if (wr__sort_stable(sorted, (size_t)f->n, sizeof *sorted, cmp_begin, (void *)data) < 0) rc = wr__oom(ctx, "reading a model header");
            for (int k = 1; rc == WR_OK && k < f->n; k++) {
                const uint8_t *prev_end = (const uint8_t *)sorted[k - 1].data + sorted[k - 1].nbytes;
                if ((const uint8_t *)sorted[k].data < prev_end)
                    rc = FERR("%s: tensors \"%s\" and \"%s\" overlap", src, sorted[k - 1].name, sorted[k].name);
            }
            free(sorted);
        }
    }
done:
    free(toks);
    if (rc != WR_OK) wr__st_free(f);
    return rc;
}

const char *wr__st_meta(const wr_st_file *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta[2 * i], key)) return f->meta[2 * i + 1];
    return NULL;
}

int wr__st_get(wr_ctx *ctx, const wr_st_file *f, const char *name, wr_dtype dtype, int ndim,
               const int64_t *shape, const wr_st_tensor **out) {
    for (int i = 0; i < f->n; i++) {
        const wr_st_tensor *t = &f->t[i];
        if (strcmp(t->name, name)) continue;
        if (t->dtype != dtype)
            return FERR("model file: tensor \"%s\" has dtype %s, expected %s", name, dtype_names[t->dtype], dtype_names[dtype]);
        int ok = t->ndim == ndim;
        for (int d = 0; ok && d < ndim; d++) ok = shape[d] < 0 || shape[d] == t->shape[d];
        if (!ok) {
            wr_buf want = {0}, got = {0};
            for (int d = 0; d < ndim; d++) wr__buf_printf(&want, "%s%lld", d ? "," : "", (long long)shape[d]);
            for (int d = 0; d < t->ndim; d++) wr__buf_printf(&got, "%s%lld", d ? "," : "", (long long)t->shape[d]);
            int rc = FERR("model file: tensor \"%s\" has shape [%s], expected [%s]", name, got.data ? got.data : "", want.data ? want.data : "");
            wr__buf_free(&want);
            wr__buf_free(&got);
            return rc;
        }
        *out = t;
        return WR_OK;
    }
    return FERR("model file: tensor \"%s\" is missing", name);
}

void wr__st_copy(void *dst, const wr_st_tensor *t) {
    if (t->nbytes) memcpy(dst, t->data, t->nbytes);
}
