/* linear.c: out = inp W^T + bias, with llm.c's weight layout W (OC, C), on the gemm kernels. */
#include "../core/core.h"
#include "../kernels/kernels.h"
#include "nn.h"

/* The bias over threads (wr__parallel_for): added to each row, and its gradient summed per
 * column in row order, as on one thread. The gradient's parts are at least 64 columns: with
 * fewer, two threads stride over the same rows' cache lines and were slower than one (SASRec's
 * 64-wide biases: 0.64x on two). */
typedef struct {
    float *rows, *bias; /* (N, OC), (OC) */
    int N, OC;
} bias_job;

static void add_rows(void *arg, int lo, int hi) {
    const bias_job *b = arg;
    for (int i = lo; i < hi; i++) wr_axpy(b->rows + (size_t)i * b->OC, 1.0f, b->bias, b->OC);
}

static void sum_cols(void *arg, int lo, int hi) {
    const bias_job *b = arg;
    for (int i = 0; i < b->N; i++) wr_axpy(b->bias + lo, 1.0f, b->rows + (size_t)i * b->OC + lo, hi - lo);
}

void wr_bias_add(float *out, const float *bias, int N, int OC) {
    bias_job b = {out, (float *)bias, N, OC};
    wr__parallel_for(N, 1, (double)N * OC, add_rows, &b);
}

void wr_bias_backward(float *dbias, const float *dout, int N, int OC) {
    bias_job b = {(float *)dout, dbias, N, OC};
    wr__parallel_for(OC, 64, (double)N * OC, sum_cols, &b);
}

void wr_linear_forward(float *out, const float *inp, const float *W, const float *bias, int N,
                       int C, int OC) {
    // out (N,OC), inp (N,C), W (OC,C), bias (OC) or NULL
    wr_gemm_nt(out, inp, W, N, OC, C, 0);
    if (bias) wr_bias_add(out, bias, N, OC);
}

void wr_linear_backward(float *dinp, float *dW, float *dbias, const float *dout, const float *inp,
                        const float *W, int N, int C, int OC) {
    // dinp (N,C) or NULL, dW (OC,C), dbias (OC) or NULL, dout (N,OC), inp (N,C), W (OC,C)
    if (dinp) wr_gemm_nn(dinp, dout, W, N, C, OC, 0);  // dout (N,OC) W (OC,C), overwriting dinp
    wr_gemm_tn(dW, dout, inp, OC, C, N, 1);            // dout^T (OC,N) inp (N,C)
    if (dbias) wr_bias_backward(dbias, dout, N, OC);
}
