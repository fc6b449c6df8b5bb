/* attention.c: multi-head scaled dot-product self-attention, causal (SASRec) or bidirectional
 * (BERT4Rec), over a batch packed without padding rows: sequence b owns rows off[b] ..
 * off[b+1] - 1, so no work is spent on padding and no key mask is needed. The probabilities are
 * a forward output (backward needs them, and the demo page shows them). */
#include <math.h>
#include <string.h>

#include "../core/core.h"
#include "../kernels/kernels.h"
#include "nn.h"

/* Threads take whole sequences (wr__parallel_for): sequence b reads and writes only its own rows,
 * so every output is computed as on one thread. */
typedef struct {
    float *out, *dqkv;
    float *att_w;
    const float *att, *qkv, *dout;
    const int *off;
    int causal, T, C, H;
} att_job;

static void forward_seqs(void *arg, int b0, int b1) {
    const att_job *a = arg;
    const int T = a->T, C = a->C, H = a->H, D = C / H;
    const float scale = 1.0f / sqrtf((float)D);
    for (int b = b0; b < b1; b++) {
        const float *base = a->qkv + (size_t)a->off[b] * 3 * C;
        int n = a->off[b + 1] - a->off[b];
        for (int h = 0; h < H; h++)
            for (int i = 0; i < n; i++) {
                float *p = a->att_w + (((size_t)b * H + h) * T + i) * T;
                const float *q = base + (size_t)i * 3 * C + h * D;
                int keys = a->causal ? i + 1 : n; // every query sees at least itself
                float mx = -INFINITY, sum = 0.0f;
                for (int j = 0; j < keys; j++) {
                    p[j] = wr_dot(q, base + (size_t)j * 3 * C + C + h * D, D) * scale;
                    if (p[j] > mx) mx = p[j];
                }
                for (int j = 0; j < keys; j++) {
                    p[j] = wr_expf(p[j] - mx);
                    sum += p[j];
                }
                memset(p + keys, 0, (size_t)(T - keys) * sizeof(float));
                float *o = a->out + ((size_t)a->off[b] + i) * C + h * D;
                memset(o, 0, (size_t)D * sizeof(float));
                for (int j = 0; j < keys; j++) {
                    p[j] /= sum;
                    wr_axpy(o, p[j], base + (size_t)j * 3 * C + 2 * C + h * D, D);
                }
            }
    }
}

void wr_attention_forward(float *out, float *att, const float *qkv, const int *off, int causal,
                          int B, int T, int C, int H) {
    // out (N,C), att (B,H,T,T), qkv (N,3C), off (B+1)
    att_job a = {.out = out, .att_w = att, .qkv = qkv, .off = off, .causal = causal, .T = T, .C = C, .H = H};
    wr__parallel_for(B, 1, (double)off[B] * T * C, forward_seqs, &a);
}

static void backward_seqs(void *arg, int b0, int b1) {
    const att_job *a = arg;
    const int T = a->T, C = a->C, H = a->H, D = C / H;
    const float scale = 1.0f / sqrtf((float)D);
    float dp[WR_ATTENTION_MAX_T];
    for (int b = b0; b < b1; b++) {
        const float *base = a->qkv + (size_t)a->off[b] * 3 * C;
        float *dbase = a->dqkv + (size_t)a->off[b] * 3 * C;
        int n = a->off[b + 1] - a->off[b];
        for (int h = 0; h < H; h++)
            for (int i = 0; i < n; i++) {
                const float *p = a->att + (((size_t)b * H + h) * T + i) * T;
                const float *dout_i = a->dout + ((size_t)a->off[b] + i) * C + h * D;
                const float *q = base + (size_t)i * 3 * C + h * D;
                float *dq = dbase + (size_t)i * 3 * C + h * D;
                int keys = a->causal ? i + 1 : n;
                // out = sum p v: dp = dout . v, dv += p dout; softmax: dscore = p (dp - sum p dp)
                float pdp = 0.0f;
                for (int j = 0; j < keys; j++) {
                    dp[j] = wr_dot(dout_i, base + (size_t)j * 3 * C + 2 * C + h * D, D);
                    pdp += p[j] * dp[j];
                }
                for (int j = 0; j < keys; j++) {
                    float ds = p[j] * (dp[j] - pdp) * scale;
                    wr_axpy(dq, ds, base + (size_t)j * 3 * C + C + h * D, D);
                    wr_axpy(dbase + (size_t)j * 3 * C + C + h * D, ds, q, D);
                    wr_axpy(dbase + (size_t)j * 3 * C + 2 * C + h * D, p[j], dout_i, D);
                }
            }
    }
}

void wr_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att,
                           const int *off, int causal, int B, int T, int C, int H) {
    // dqkv (N,3C), dout (N,C), qkv (N,3C), att (B,H,T,T), off (B+1)
    att_job a = {.dqkv = dqkv, .att = att, .qkv = qkv, .dout = dout, .off = off, .causal = causal,
                 .T = T, .C = C, .H = H};
    wr__parallel_for(B, 1, 2.0 * off[B] * T * C, backward_seqs, &a);
}
