/* dropout.c: inverted dropout (scaled at training time, so evaluation is the identity). The
 * keep mask is a forward output, so backward needs no randomness. */
#include <string.h>

#include "nn.h"

void wr_dropout_forward(float *out, unsigned char *mask, const float *inp, float p, int train,
                        wr_rng *rng, int N) {
    // out (N), mask (N), inp (N)
    if (p <= 0.0f || !train) {
        if (out != inp) memmove(out, inp, (size_t)N * sizeof(float));
        memset(mask, 1, (size_t)N);
        return;
    }
    float keep_scale = 1.0f / (1.0f - p);
    for (int i = 0; i < N; i++) mask[i] = wr__rng_float(rng) >= p; // kept with probability 1 - p
    // a multiply, not a branch on the random mask: vectorised and never mispredicted
    for (int i = 0; i < N; i++) out[i] = inp[i] * (mask[i] ? keep_scale : 0.0f);
}

void wr_dropout_backward(float *dinp, const float *dout, const unsigned char *mask, float p, int N) {
    // dinp (N), dout (N), mask (N)
    float keep_scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    for (int i = 0; i < N; i++) dinp[i] += dout[i] * (mask[i] ? keep_scale : 0.0f);
}
