/* safetensors.h: reading and writing model files in the safetensors format:
 * 8-byte little-endian header length N, N bytes of JSON header, then raw little-endian tensors.
 * The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
 * relative to the end of the header) and "__metadata__" to a string -> string object. */
#ifndef WR_SAFETENSORS_H
#define WR_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

typedef enum { WR_DT_F32, WR_DT_I32, WR_DT_I64, WR_DT_U8 } wr_dtype;

#define WR_ST_MAX_DIMS 4
#define WR_ST_MAX_NAME 128

typedef struct {
    char name[WR_ST_MAX_NAME];
    wr_dtype dtype;
    int ndim;
    int64_t shape[WR_ST_MAX_DIMS];
    const void *data; /* into the file bytes (reader) or the caller's array (writer); may be
                         unaligned in a file: read it with memcpy (wr__st_copy) */
    size_t nbytes;
} wr_st_tensor;

typedef struct {
    wr_st_tensor *t;
    int n, cap;
    char **meta;      /* 2*n_meta strings: key, value, key, value ... (owned) */
    int n_meta;
} wr_st_file;

/* ---- writer: add tensors (data is referenced, not copied, until finish) and metadata ---- */
void wr__st_init(wr_st_file *f);
int wr__st_add(wr_st_file *f, const char *name, wr_dtype dtype, int ndim, const int64_t *shape,
               const void *data);
int wr__st_set_meta(wr_st_file *f, const char *key, const char *value);
/* Serialises into a malloc'd buffer (free with wr_free). Returns 0 or -1 on OOM. */
int wr__st_serialize(const wr_st_file *f, uint8_t **out, size_t *len);

/* ---- reader ---- */
/* Parses bytes (not copied: tensors point into them). Every offset, size, dtype and shape is
 * checked against the file length before any data is touched; overlapping tensors are refused.
 * Errors are WR_ERR_FORMAT with a message naming source and the bad tensor/field. */
int wr__st_parse(wr_ctx *ctx, const uint8_t *bytes, size_t len, const char *source, wr_st_file *f);
/* Value of a metadata key or NULL. */
const char *wr__st_meta(const wr_st_file *f, const char *key);
/* Finds a tensor and checks its dtype and shape (ndim given; shape[i] < 0 = any). Error naming
 * the tensor if missing or different. */
int wr__st_get(wr_ctx *ctx, const wr_st_file *f, const char *name, wr_dtype dtype, int ndim,
               const int64_t *shape, const wr_st_tensor **out);
/* Copies a tensor's bytes to dst (which has room for t->nbytes). */
void wr__st_copy(void *dst, const wr_st_tensor *t);
void wr__st_free(wr_st_file *f);

#endif
