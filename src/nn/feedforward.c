/* feedforward.c: the Transformer's position-wise feed-forward layer, two linear layers with ReLU
 * (SASRec) or GELU (BERT4Rec; the tanh approximation BERT used) between them. */
#include "../core/core.h"
#include "../kernels/kernels.h"
#include "nn.h"

#define WR_GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define WR_GELU_A 0.044715f

/* tanh from wr_expf (same bits on every build); wr_expf clamps, so no overflow to inf/inf. */
static float wr__tanh(float x) {
    return 1.0f - 2.0f / (wr_expf(2.0f * x) + 1.0f);
}

static float act_forward(float x, int act) {
    if (act == WR_ACT_RELU) return x > 0.0f ? x : 0.0f;
    float u = WR_GELU_K * (x + WR_GELU_A * x * x * x);
    return 0.5f * x * (1.0f + wr__tanh(u));
}

static float act_grad(float x, int act) {
    if (act == WR_ACT_RELU) return x > 0.0f ? 1.0f : 0.0f;
    float u = WR_GELU_K * (x + WR_GELU_A * x * x * x), th = wr__tanh(u);
    float du = WR_GELU_K * (1.0f + 3.0f * WR_GELU_A * x * x);
    return 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * du;
}

/* The activation over threads (wr__parallel_for), element by element: post = act(pre), or in
 * the backward pass d(pre) = d(post) * act'(pre) in place. */
typedef struct {
    float *out;
    const float *pre;
    int act, grad;
} act_job;

static void act_span(void *arg, int lo, int hi) {
    const act_job *j = arg;
    float *out = j->out;
    const float *pre = j->pre;
    /* one loop per case, so the compiler vectorises each (ReLU's especially) */
    if (j->grad && j->act == WR_ACT_RELU)
        for (int i = lo; i < hi; i++) out[i] *= act_grad(pre[i], WR_ACT_RELU);
    else if (j->grad)
        for (int i = lo; i < hi; i++) out[i] *= act_grad(pre[i], WR_ACT_GELU);
    else if (j->act == WR_ACT_RELU)
        for (int i = lo; i < hi; i++) out[i] = act_forward(pre[i], WR_ACT_RELU);
    else
        for (int i = lo; i < hi; i++) out[i] = act_forward(pre[i], WR_ACT_GELU);
}

static void activate(float *out, const float *pre, int act, int grad, size_t n) {
    act_job j = {out, pre, act, grad};
    wr__parallel_for((int)n /* N x F of one batch */, 256, 8.0 * (double)n, act_span, &j);
}

void wr_ffn_forward(float *out, float *pre, float *post, const float *inp, const float *W1,
                    const float *b1, const float *W2, const float *b2, int act, int N, int C, int F) {
    // out (N,C), pre (N,F), post (N,F), inp (N,C), W1 (F,C), b1 (F), W2 (C,F), b2 (C)
    wr_linear_forward(pre, inp, W1, b1, N, C, F);
    activate(post, pre, act, 0, (size_t)N * F);
    wr_linear_forward(out, post, W2, b2, N, F, C);
}

void wr_ffn_backward(float *dinp, float *dW1, float *db1, float *dW2, float *db2, float *dpost,
                     const float *dout, const float *inp, const float *pre, const float *post,
                     const float *W1, const float *W2, int act, int N, int C, int F) {
    wr_linear_backward(dpost, dW2, db2, dout, post, W2, N, F, C);
    activate(dpost, pre, act, 1, (size_t)N * F); // now d(pre)
    wr_linear_backward(dinp, dW1, db1, dpost, inp, W1, N, C, F);
}
