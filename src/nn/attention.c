/* attention.c: multi-head scaled dot-product self-attention over qkv (B,T,3C), causal (SASRec)
 * or bidirectional (BERT4Rec), with a key padding mask. The probabilities are a forward output
 * (backward needs them, and the demo page shows them). */
#include <math.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "nn.h"

void wr_attention_forward(float *out, float *att, const float *qkv, const unsigned char *pad,
                          int causal, int B, int T, int C, int H) {
    // out (B,T,C), att (B,H,T,T), qkv (B,T,3C), pad (B,T) or NULL
    int D = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)D);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * C3 + h * D;
                float *att_t = att + (((size_t)b * H + h) * T + t) * T;
                float *out_t = out + ((size_t)b * T + t) * C + h * D;
                int n_keys = causal ? t + 1 : T;
                // scores of the visible keys; masked ones marked by pad and skipped below
                float mx = -INFINITY;
                for (int t2 = 0; t2 < n_keys; t2++) {
                    if (pad && pad[b * T + t2]) continue;
                    const float *k = qkv + ((size_t)b * T + t2) * C3 + C + h * D;
                    att_t[t2] = wr_dot(q, k, D) * scale;
                    if (att_t[t2] > mx) mx = att_t[t2];
                }
                float sum = 0.0f;
                for (int t2 = 0; t2 < n_keys; t2++) {
                    if (pad && pad[b * T + t2]) {
                        att_t[t2] = 0.0f;
                        continue;
                    }
                    att_t[t2] = wr_expf(att_t[t2] - mx);
                    sum += att_t[t2];
                }
                for (int t2 = n_keys; t2 < T; t2++) att_t[t2] = 0.0f;
                memset(out_t, 0, (size_t)D * sizeof(float));
                if (sum == 0.0f) continue; // no visible key: zero probabilities, zero output
                float inv = 1.0f / sum;
                for (int t2 = 0; t2 < n_keys; t2++) {
                    att_t[t2] *= inv;
                    if (att_t[t2] == 0.0f) continue;
                    const float *v = qkv + ((size_t)b * T + t2) * C3 + 2 * C + h * D;
                    wr_axpy(out_t, att_t[t2], v, D);
                }
            }
}

void wr_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                           const float *att, int B, int T, int C, int H) {
    // dqkv (B,T,3C), scratch (T), dout (B,T,C), qkv (B,T,3C), att (B,H,T,T)
    int D = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)D);
    float *datt = scratch;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++) {
                const float *att_t = att + (((size_t)b * H + h) * T + t) * T;
                const float *dout_t = dout + ((size_t)b * T + t) * C + h * D;
                const float *q = qkv + ((size_t)b * T + t) * C3 + h * D;
                float *dq = dqkv + ((size_t)b * T + t) * C3 + h * D;
                // out = sum p v: dp = dout . v, dv += p dout. Masked keys have p = 0 exactly and
                // get nothing; softmax backward: dscore = p (dp - sum p dp)
                float pdp = 0.0f;
                for (int t2 = 0; t2 < T; t2++) {
                    datt[t2] = 0.0f;
                    if (att_t[t2] == 0.0f) continue;
                    size_t row2 = ((size_t)b * T + t2) * C3;
                    datt[t2] = wr_dot(dout_t, qkv + row2 + 2 * C + h * D, D);
                    wr_axpy(dqkv + row2 + 2 * C + h * D, att_t[t2], dout_t, D);
                    pdp += att_t[t2] * datt[t2];
                }
                for (int t2 = 0; t2 < T; t2++) {
                    if (att_t[t2] == 0.0f) continue;
                    float ds = att_t[t2] * (datt[t2] - pdp) * scale;
                    size_t row2 = ((size_t)b * T + t2) * C3;
                    wr_axpy(dq, ds, qkv + row2 + C + h * D, D);
                    wr_axpy(dqkv + row2 + C + h * D, ds, q, D);
                }
            }
}
