/* mlp.c: a tower of linear layers with ReLU between them (NCF's MLP, DeepFM's deep part). */
#include "nn.h"

void wr_mlp_forward(float *const *act, const float *const *W, const float *const *b, const int *width, int L, int N, int relu_last) {
    for (int l = 0; l < L; l++) {
        wr_linear_forward(act[l + 1], act[l], W[l], b[l], N, width[l], width[l + 1]);
        if (l < L - 1 || relu_last)
            for (size_t k = 0; k < (size_t)N * width[l + 1]; k++) act[l + 1][k] = act[l + 1][k] > 0 ? act[l + 1][k] : 0;
    }
}

void wr_mlp_backward(float *const *dact, float *const *dW, float *const *db, const float *const *act, const float *const *W,
                     const int *width, int L, int N, int relu_last) {
    for (int l = L - 1; l >= 0; l--) {
        if (l < L - 1 || relu_last)
            for (size_t k = 0; k < (size_t)N * width[l + 1]; k++)
                if (act[l + 1][k] <= 0) dact[l + 1][k] = 0;
        wr_linear_backward(dact[l], dW[l], db[l], dact[l + 1], act[l], W[l], N, width[l], width[l + 1]);
    }
}
