/* index.h: nearest-neighbour search over vectors (private; the public API is wr_index_* in
 * wasmrec.h): an exact top-k scan with the SIMD dot product, and HNSW (Malkov & Yashunin 2016).
 *
 * HNSW here
 * - One graph per level: level 0 has 2M neighbour slots per vector, upper levels M; each list is
 *   stored as [count, id, id, ...] in one contiguous int32 array per kind (level 0: n x (2M+1);
 *   upper levels: one (M+1)-int list per (vector, level >= 1), in insertion order).
 * - Distance is -dot(a, b). For WR_INDEX_COSINE the vectors (and every query) are L2-normalised
 *   when they come in, so -dot is the cosine distance; for WR_INDEX_IP the graph is built and
 *   searched with -dot as it stands, as hnswlib's "ip" space does (1 - dot there: the same
 *   order). Inner product is not a metric (a vector need not be its own nearest neighbour), so
 *   recall on raw inner products depends on the data more than on cosine; normalised vectors
 *   behave the same under both.
 * - Neighbours are chosen by the paper's heuristic (Algorithm 4, as hnswlib's
 *   getNeighborsByHeuristic2: a candidate is kept only if it is closer to the new vector than to
 *   every neighbour already kept), both for a new vector's own lists and when a full list of an
 *   old vector is pruned to make room for it.
 * - Levels are drawn from the seeded wr_rng (floor(-ln(U) / ln(M)), at most WR_HNSW_MAX_LEVEL);
 *   every ordering is by (distance, id), so the same seed and vectors give the same graph, bit
 *   for bit, native and wasm (the dot product is bit-identical on both builds).
 * - Searches use a visited list with an epoch counter and binary heaps; nothing recurses. The
 *   scratch space lives in the index, so one index must not be searched from two threads at once.
 */
#ifndef WR_INDEX_H
#define WR_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "../io/safetensors.h"

enum { WR_INDEX_IP = 0, WR_INDEX_COSINE = 1 };

#define WR_HNSW_MAX_LEVEL 31
#define WR_HNSW_MIN_M 2
#define WR_HNSW_MAX_M 1024
#define WR_HNSW_MAX_EF (1 << 20)
#define WR_INDEX_MAX_DIM 65536

/* The HNSW index is the public wr_index. */
typedef struct wr_index wr_hnsw;

/* Exact top-k by inner product of q (dim floats) against n vectors (row i at vecs + i*stride):
 * ids/scores get min(k, n) entries, best first, equal scores ordered by the lower id, NaN scores
 * last. Returns how many were written. */
int wr__index_exact(const float *vecs, int n, int dim, int stride, const float *q, int k, int32_t *ids,
                    float *scores);
/* The same for nq queries (query j at qs + j*dim; its k results at ids + j*k, scores + j*k; a row
 * with fewer than k results is padded with id -1, score 0). The vectors are read once per block of
 * queries instead of once per query; every score is the same wr_dot as wr__index_exact's. */
void wr__index_exact_batch(const float *vecs, int n, int dim, int stride, const float *qs, int nq, int k,
                           int32_t *ids, float *scores);

/* dst = src / |src| (a zero vector stays zero; dst may be src): how cosine indexes store vectors
 * and queries, the same bits on every build. */
void wr__index_normalise(float *dst, const float *src, int dim);

/* An empty index. metric WR_INDEX_IP or WR_INDEX_COSINE; M in [WR_HNSW_MIN_M, WR_HNSW_MAX_M]
 * (neighbours per vector on the upper levels, 2M on level 0); ef_construction in [1,
 * WR_HNSW_MAX_EF]. Errors name the setting. */
int wr__hnsw_new(wr_ctx *ctx, int dim, int metric, int M, int ef_construction, uint64_t seed, wr_hnsw **out);
/* Adds n vectors (n x dim floats, every one finite); their ids continue from wr__hnsw_count. The
 * index keeps its own copy (normalised for cosine). */
int wr__hnsw_add(wr_hnsw *h, const float *vecs, int n);
/* Room for n vectors in all (allocated now, so adding up to n never reallocates: no copies, no
 * holes in a wasm heap that cannot shrink). */
int wr__hnsw_reserve(wr_hnsw *h, int n);
/* The k nearest of q with a candidate list of max(ef_search, k): ids and scores (inner products,
 * or cosines), best first. Returns how many were written (min(k, count) unless the graph is cut),
 * or a negative status (out of memory) with the message in the index's context. */
int wr__hnsw_search(const wr_hnsw *h, const float *q, int k, int ef_search, int32_t *ids, float *scores);
/* Exact top-k over the index's own vectors (q normalised for cosine): the ground truth. */
int wr__hnsw_exact(const wr_hnsw *h, const float *q, int k, int32_t *ids, float *scores);
/* Adds the index's tensors to w, named prefix + (see hnsw.c): "settings" (I32 [8]: format
 * version, dim, metric, M, ef_construction, count, max level, entry point), "rng" (I64 [5]: the
 * seed, then the level generator's state), "vectors" (F32 [n, dim]), "levels" (I32 [n]), "links"
 * (I32 [n, 2M+1]: level 0) and "upper_links" (I32 [sum of levels, M+1]). The tensors reference the
 * index's arrays: serialise w before the index changes. */
int wr__hnsw_save(const wr_hnsw *h, wr_st_file *w, const char *prefix);
/* Reads an index saved by wr__hnsw_save, checking it as a hostile file: shapes against the
 * settings, settings in range (and equal to expect_n / expect_dim when those are >= 0 / > 0),
 * levels bounded, every neighbour id in range, at a level its vector has, not itself and not
 * twice in one list, the entry point on the top level, vectors finite (unit length for cosine).
 * Nothing is allocated before the tensors whose bytes justify it have been found. */
int wr__hnsw_load(wr_ctx *ctx, const wr_st_file *f, const char *prefix, int expect_n, int expect_dim,
                  wr_hnsw **out);
void wr__hnsw_free(wr_hnsw *h);

int wr__hnsw_count(const wr_hnsw *h);
int wr__hnsw_dim(const wr_hnsw *h);
int wr__hnsw_metric(const wr_hnsw *h);
/* Bytes held by the index (vectors, graph, scratch). */
size_t wr__hnsw_memory(const wr_hnsw *h);
/* The stored vectors (count x dim, normalised for cosine). */
const float *wr__hnsw_vectors(const wr_hnsw *h);
wr_ctx *wr__hnsw_ctx(const wr_hnsw *h);

#endif
