/* kernels.h: the numeric kernels. Every kernel has a plain scalar twin named *_ref, kept as the
 * reference the tests compare against. The fast versions use wasm_simd128 under
 * __wasm_simd128__ and, elsewhere, plain C written in the same 4-lane order (so gcc vectorises it
 * and native and wasm results are bit-identical). Intrinsics appear only under src/kernels/.
 *
 * Matrices are row-major. Shapes in comments: (rows, cols). */
#ifndef WR_KERNELS_H
#define WR_KERNELS_H

#include <stddef.h>

/* sum_i a[i]*b[i] */
float wr_dot(const float *a, const float *b, int n);
float wr_dot_ref(const float *a, const float *b, int n);
/* y += a*x */
void wr_axpy(float *y, float a, const float *x, int n);
void wr_axpy_ref(float *y, float a, const float *x, int n);
/* x *= a */
void wr_scale(float *x, float a, int n);
void wr_scale_ref(float *x, float a, int n);

/* C (M,N) = [C +] A (M,K) * B (K,N)        accumulate = 0 overwrites C, 1 adds to it */
void wr_gemm_nn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
void wr_gemm_nn_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
/* C (M,N) = [C +] A (M,K) * B (N,K)^T      scores against an embedding table; linear forward */
void wr_gemm_nt(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
void wr_gemm_nt_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
/* C (M,N) = [C +] A (K,M)^T * B (K,N)      weight gradients dW = dY^T X */
void wr_gemm_tn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
void wr_gemm_tn_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);

/* private (the tests check them): the three gemms above on one instruction set, isa one of
 * WR_ISA_*; the public ones use the widest the CPU has. WR_ISA_PORTABLE is the 4-lane code the
 * wasm build runs; the wider ones exist in the native x86-64 build only, and must give the same
 * bits. Return 0, doing nothing, when this build or CPU lacks isa. */
enum { WR_ISA_PORTABLE = 0, WR_ISA_AVX2 = 1, WR_ISA_AVX512 = 2 };
int wr__gemm_nn_isa(int isa, float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate);
int wr__gemm_nt_isa(int isa, float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate);
int wr__gemm_tn_isa(int isa, float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate);

/* exp and log of our own, identical on every build (libm's differ in the last bits). */
float wr_expf(float x);
float wr_logf(float x);
/* private (the tests check it): out = exp(in) by the 4-lane exp softmax uses; equal bit for bit
 * to wr_expf on every element. */
void wr__exp_array(float *out, const float *in, int n);

/* out (n) = softmax(in (n)); out may equal in. */
void wr_softmax(float *out, const float *in, int n);
/* out = softmax(in) * scale, the same bits as wr_softmax then wr_scale(out, scale) in one pass
 * fewer; *p_at = softmax(in)[at], *p_max its largest value; returns the largest input. */
float wr_softmax_scaled(float *out, const float *in, int n, float scale, int at, float *p_at, float *p_max);
void wr_softmax_ref(float *out, const float *in, int n);
/* out (n) = log_softmax(in (n)); out may equal in. */
void wr_log_softmax(float *out, const float *in, int n);
void wr_log_softmax_ref(float *out, const float *in, int n);

/* One row: out (n) = (in - mean) * rstd * w + b; stores mean and rstd for the backward pass. */
void wr_layernorm(float *out, float *mean, float *rstd, const float *in, const float *w,
                  const float *b, int n);
void wr_layernorm_ref(float *out, float *mean, float *rstd, const float *in, const float *w,
                      const float *b, int n);

/* The k largest of scores (n), best first; equal scores are ordered by the lower index.
 * Entries whose mask[i] is nonzero are skipped (mask may be NULL). Returns how many were written
 * (min(k, number of unmasked entries)). NaN scores rank below everything. */
int wr_topk(const float *scores, const unsigned char *mask, int n, int k, int *out_idx,
            float *out_val);
int wr_topk_ref(const float *scores, const unsigned char *mask, int n, int k, int *out_idx,
                float *out_val);

#endif
