/* linear.c: out = inp W^T + bias, with llm.c's weight layout W (OC, C), on the gemm kernels. */
#include "../kernels/kernels.h"
#include "nn.h"

void wr_linear_forward(float *out, const float *inp, const float *W, const float *bias, int N,
                       int C, int OC) {
    // out (N,OC), inp (N,C), W (OC,C), bias (OC) or NULL
    wr_gemm_nt(out, inp, W, N, OC, C, 0);
    if (bias)
        for (int i = 0; i < N; i++) wr_axpy(out + (size_t)i * OC, 1.0f, bias, OC);
}

void wr_linear_backward(float *dinp, float *dW, float *dbias, const float *dout, const float *inp,
                        const float *W, int N, int C, int OC) {
    // dinp (N,C) or NULL, dW (OC,C), dbias (OC) or NULL, dout (N,OC), inp (N,C), W (OC,C)
    if (dinp) wr_gemm_nn(dinp, dout, W, N, C, OC, 1);  // dout (N,OC) W (OC,C)
    wr_gemm_tn(dW, dout, inp, OC, C, N, 1);            // dout^T (OC,N) inp (N,C)
    if (dbias)
        for (int i = 0; i < N; i++) wr_axpy(dbias, 1.0f, dout + (size_t)i * OC, OC);
}
