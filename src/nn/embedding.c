/* embedding.c: item lookup with padding index 0 and a sparse backward that records the rows it
 * touched (the optimiser then updates only those: the gradient of a 25,000-row table for one
 * batch touches a few thousand rows at most); learned positional embeddings. */
#include <string.h>

#include "../kernels/kernels.h"
#include "nn.h"

// ----------------------------------------------------------------------------
// item embedding

void wr_embedding_forward(float *out, const int32_t *ids, const float *table, float scale, int N,
                          int C) {
    // out (N,C), ids (N), table (V,C)
    for (int i = 0; i < N; i++) {
        float *out_i = out + (size_t)i * C;
        if (ids[i] == 0) { // padding: a zero row, whatever row 0 of the table holds
            memset(out_i, 0, (size_t)C * sizeof(float));
            continue;
        }
        const float *row = table + (size_t)ids[i] * C;
        for (int c = 0; c < C; c++) out_i[c] = scale * row[c];
    }
}

void wr_embedding_backward(float *dtable, int32_t *rows, int *n_rows, unsigned char *seen,
                           const float *dout, const int32_t *ids, float scale, int N, int C) {
    // dtable (V,C), rows (<= V), seen (V), dout (N,C), ids (N)
    for (int i = 0; i < N; i++) {
        int32_t id = ids[i];
        if (id == 0) continue;
        if (seen && !seen[id]) {
            seen[id] = 1;
            rows[(*n_rows)++] = id;
        }
        wr_axpy(dtable + (size_t)id * C, scale, dout + (size_t)i * C, C);
    }
}

void wr_embedding_clear_rows(float *dtable, unsigned char *seen, const int32_t *rows, int n_rows,
                             int C) {
    for (int k = 0; k < n_rows; k++) {
        memset(dtable + (size_t)rows[k] * C, 0, (size_t)C * sizeof(float));
        seen[rows[k]] = 0;
    }
}

// ----------------------------------------------------------------------------
// learned positions

void wr_position_forward(float *out, const int32_t *t, const float *pos, int N, int C) {
    // out (N,C), t (N), pos (T,C)
    for (int i = 0; i < N; i++) wr_axpy(out + (size_t)i * C, 1.0f, pos + (size_t)t[i] * C, C);
}

void wr_position_backward(float *dpos, const float *dout, const int32_t *t, int N, int C) {
    // dpos (T,C), dout (N,C), t (N)
    for (int i = 0; i < N; i++) wr_axpy(dpos + (size_t)t[i] * C, 1.0f, dout + (size_t)i * C, C);
}
